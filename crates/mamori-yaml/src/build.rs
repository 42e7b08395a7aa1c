//! The reference path: saphyr-parser events → [`Node`] tree, iteratively (no recursion, so nesting cannot
//! overflow the stack), with every limit checked as the tree grows.

use crate::scalar::resolve_plain;
use crate::{Limits, YamlError};
use mamori_model::{Entry, Node, Pos, Value};
use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};
use std::collections::HashMap;

/// A collection under construction.
enum Frame {
    Seq {
        pos: Pos,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        pos: Pos,
        anchor: usize,
        entries: Vec<Entry>,
        /// The key waiting for its value.
        pending_key: Option<(Key, Pos)>,
        /// Entries brought in by `<<` merge keys; applied at the end so explicit keys win.
        merged: Vec<Entry>,
        /// Key → index into `entries`, built once the map is large enough that a linear duplicate scan would
        /// make parsing quadratic (a ConfigMap with a million keys must not stall a run).
        index: Option<HashMap<String, usize>>,
    },
}

enum Key {
    Text(String),
    Merge,
}

struct Builder<'a> {
    limits: &'a Limits,
    first_line: u32,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
    aliases: usize,
    root: Option<Node>,
}

pub(crate) fn parse_reference(
    text: &str,
    first_line: u32,
    limits: &Limits,
) -> Result<Option<Node>, YamlError> {
    let mut b = Builder {
        limits,
        first_line,
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        aliases: 0,
        root: None,
    };
    let mut documents = 0usize;
    let mut root_was_empty_scalar = false;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| YamlError {
            pos: b.pos_of(e.marker().line(), e.marker().col()),
            message: if e.info().contains("recursion limit") {
                "nesting too deep (the YAML parser's recursion limit was reached)".to_owned()
            } else {
                e.info().to_owned()
            },
        })?;
        match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(YamlError {
                        pos: b.span_pos(&span),
                        message: "more than one YAML document where one was expected".to_owned(),
                    });
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                if b.stack.is_empty()
                    && style == ScalarStyle::Plain
                    && value.is_empty()
                    && tag.is_none()
                {
                    root_was_empty_scalar = true;
                }
                let pos = b.span_pos(&span);
                b.scalar(&value, style, anchor, tag.as_deref(), pos)?;
            }
            Event::SequenceStart(anchor, _tag) => {
                let pos = b.span_pos(&span);
                b.open(
                    Frame::Seq {
                        pos,
                        anchor,
                        items: Vec::new(),
                    },
                    pos,
                )?;
            }
            Event::MappingStart(anchor, _tag) => {
                let pos = b.span_pos(&span);
                b.open(
                    Frame::Map {
                        pos,
                        anchor,
                        entries: Vec::new(),
                        pending_key: None,
                        merged: Vec::new(),
                        index: None,
                    },
                    pos,
                )?;
            }
            Event::SequenceEnd | Event::MappingEnd => b.close()?,
            Event::Alias(id) => {
                let pos = b.span_pos(&span);
                b.alias(id, pos)?;
            }
        }
    }
    if root_was_empty_scalar {
        return Ok(None);
    }
    Ok(b.root)
}

impl Builder<'_> {
    fn pos_of(&self, line: usize, col: usize) -> Pos {
        let line = u32::try_from(line).unwrap_or(u32::MAX);
        Pos::new(
            line.saturating_add(self.first_line).saturating_sub(1),
            u32::try_from(col).unwrap_or(u32::MAX).saturating_add(1),
        )
    }

    fn span_pos(&self, span: &Span) -> Pos {
        self.pos_of(span.start.line(), span.start.col())
    }

    fn count_nodes(&mut self, n: usize, pos: Pos) -> Result<(), YamlError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.limits.max_nodes {
            return Err(YamlError {
                pos,
                message: format!(
                    "document has more than {} nodes (alias expansion included); refusing to expand it",
                    self.limits.max_nodes
                ),
            });
        }
        Ok(())
    }

    fn open(&mut self, frame: Frame, pos: Pos) -> Result<(), YamlError> {
        self.count_nodes(1, pos)?;
        if self.stack.len() >= self.limits.max_depth {
            return Err(YamlError {
                pos,
                message: format!("nesting deeper than {} levels", self.limits.max_depth),
            });
        }
        if let Some(Frame::Map {
            pending_key: None, ..
        }) = self.stack.last()
        {
            return Err(YamlError {
                pos,
                message: "a map or list used as a map key is not supported by Kubernetes"
                    .to_owned(),
            });
        }
        self.stack.push(frame);
        Ok(())
    }

    fn close(&mut self) -> Result<(), YamlError> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        let (node, anchor) = match frame {
            Frame::Seq { pos, anchor, items } => (Node::new(pos, Value::Seq(items)), anchor),
            Frame::Map {
                pos,
                anchor,
                mut entries,
                merged,
                ..
            } => {
                if !merged.is_empty() {
                    // Merges are rare; a set keeps huge merged maps linear.
                    let explicit: std::collections::HashSet<String> =
                        entries.iter().map(|e| e.key.clone()).collect();
                    entries.extend(merged.into_iter().filter(|m| !explicit.contains(&m.key)));
                }
                (Node::new(pos, Value::Map(entries)), anchor)
            }
        };
        self.finish(node, anchor)
    }

    fn scalar(
        &mut self,
        text: &str,
        style: ScalarStyle,
        anchor: usize,
        tag: Option<&Tag>,
        pos: Pos,
    ) -> Result<(), YamlError> {
        self.count_nodes(1, pos)?;
        if let Some(Frame::Map {
            pending_key: pending @ None,
            ..
        }) = self.stack.last_mut()
        {
            let key = if style == ScalarStyle::Plain && text == "<<" && tag.is_none() {
                Key::Merge
            } else {
                Key::Text(text.to_owned())
            };
            *pending = Some((key, pos));
            // An anchored key is legal YAML but meaningless for Kubernetes; the anchor simply isn't recorded.
            return Ok(());
        }
        let value = match (style, tag) {
            (ScalarStyle::Plain, None) => resolve_plain(text),
            (_, Some(tag)) if tag.is_yaml_core_schema() || tag.handle == "!!" => {
                core_tagged(text, &tag.suffix, pos)?
            }
            (ScalarStyle::Plain, Some(_)) => resolve_plain(text),
            _ => Value::Str(text.to_owned()),
        };
        self.finish(Node::new(pos, value), anchor)
    }

    fn alias(&mut self, id: usize, pos: Pos) -> Result<(), YamlError> {
        self.aliases += 1;
        if self.aliases > self.limits.max_alias_expansions {
            return Err(YamlError {
                pos,
                message: format!(
                    "more than {} alias references",
                    self.limits.max_alias_expansions
                ),
            });
        }
        let Some((node, size)) = self.anchors.get(&id) else {
            return Err(YamlError {
                pos,
                message: "alias to an unknown anchor".to_owned(),
            });
        };
        let size = *size;
        let node = node.clone();
        self.count_nodes(size, pos)?;
        if let Some(Frame::Map {
            pending_key: None, ..
        }) = self.stack.last()
        {
            if let Some(text) = node.as_str() {
                let text = text.to_owned();
                if let Some(Frame::Map { pending_key, .. }) = self.stack.last_mut() {
                    *pending_key = Some((Key::Text(text), pos));
                }
                return Ok(());
            }
            return Err(YamlError {
                pos,
                message: "only a string alias can be used as a map key".to_owned(),
            });
        }
        self.finish(node, 0)
    }

    /// Places a finished node into its parent (or makes it the root), recording its anchor.
    fn finish(&mut self, node: Node, anchor: usize) -> Result<(), YamlError> {
        if anchor != 0 {
            let size = subtree_size(&node);
            self.anchors.insert(anchor, (node.clone(), size));
        }
        match self.stack.last_mut() {
            None => {
                self.root = Some(node);
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                pending_key,
                merged,
                index,
                ..
            }) => {
                let Some((key, key_pos)) = pending_key.take() else {
                    return Err(YamlError {
                        pos: node.pos,
                        message: "map key without a value".to_owned(),
                    });
                };
                match key {
                    Key::Merge => merge_into(merged, node)?,
                    Key::Text(key) => {
                        if let Some(prev) = find_key(entries, index, &key) {
                            return Err(YamlError {
                                pos: key_pos,
                                message: format!(
                                    "duplicate key {:?} (first defined at line {})",
                                    key, prev.key_pos.line
                                ),
                            });
                        }
                        if let Some(index) = index.as_mut() {
                            index.insert(key.clone(), entries.len());
                        }
                        entries.push(Entry {
                            key,
                            key_pos,
                            value: node,
                        });
                    }
                }
            }
        }
        Ok(())
    }
}

/// `<<: *map` or `<<: [*a, *b]`: the earlier map in a list wins, as YAML's merge-key spec says.
fn merge_into(merged: &mut Vec<Entry>, node: Node) -> Result<(), YamlError> {
    let pos = node.pos;
    let maps: Vec<Node> = match node.value {
        Value::Map(_) => vec![node],
        Value::Seq(items) if items.iter().all(|i| i.as_map().is_some()) => items,
        _ => {
            return Err(YamlError {
                pos,
                message: "merge key `<<` needs a map or a list of maps".to_owned(),
            })
        }
    };
    let mut seen: std::collections::HashSet<String> =
        merged.iter().map(|e| e.key.clone()).collect();
    for m in maps {
        if let Value::Map(entries) = m.value {
            for e in entries {
                if seen.insert(e.key.clone()) {
                    merged.push(e);
                }
            }
        }
    }
    Ok(())
}

fn core_tagged(text: &str, suffix: &str, pos: Pos) -> Result<Value, YamlError> {
    let bad = |what: &str| YamlError {
        pos,
        message: format!("{text:?} is not a valid !!{what}"),
    };
    Ok(match suffix {
        "str" | "binary" | "timestamp" => Value::Str(text.to_owned()),
        "null" => Value::Null,
        "bool" => match resolve_plain(text) {
            v @ Value::Bool(_) => v,
            _ => return Err(bad("bool")),
        },
        "int" => match resolve_plain(text) {
            v @ Value::Int(_) => v,
            _ => return Err(bad("int")),
        },
        "float" => match resolve_plain(text) {
            Value::Int(i) => Value::Float(i as f64),
            v @ Value::Float(_) => v,
            _ => return Err(bad("float")),
        },
        _ => resolve_plain(text),
    })
}

fn subtree_size(node: &Node) -> usize {
    let mut count = 0usize;
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        count += 1;
        match &n.value {
            Value::Seq(items) => stack.extend(items.iter()),
            Value::Map(entries) => stack.extend(entries.iter().map(|e| &e.value)),
            _ => {}
        }
    }
    count
}

/// Maps up to this size are checked for duplicate keys by a linear scan (cheaper than hashing for the small
/// maps Kubernetes objects are made of); larger ones get a hash index.
const LINEAR_KEY_SCAN_MAX: usize = 32;

/// The existing entry with `key`, building the hash index when the map outgrows a linear scan.
fn find_key<'e>(
    entries: &'e [Entry],
    index: &mut Option<HashMap<String, usize>>,
    key: &str,
) -> Option<&'e Entry> {
    if index.is_none() && entries.len() >= LINEAR_KEY_SCAN_MAX {
        *index = Some(
            entries
                .iter()
                .enumerate()
                .map(|(i, e)| (e.key.clone(), i))
                .collect(),
        );
    }
    match index {
        Some(index) => index.get(key).and_then(|&i| entries.get(i)),
        None => entries.iter().find(|e| e.key == key),
    }
}
