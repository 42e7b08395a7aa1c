//! Reading inputs (files, directories, stdin) into an [`RbacInput`]: documents are streamed by `mamori-load`,
//! documents of kinds the analyzer does not read are skipped before parsing, the rest are parsed in parallel.

use crate::model::{RbacInput, WANTED_KINDS};
use mamori_load::{Input, LoadError, Loaded, RawDocument};
use mamori_yaml::Limits;
use std::sync::mpsc;
use std::thread;

/// What loading produced: the input and the load errors (files that could not be read or parsed).
pub struct LoadedInput {
    pub input: RbacInput,
    pub errors: Vec<LoadError>,
    pub documents: u64,
}

/// Documents per batch handed to a worker.
const BATCH: usize = 128;

/// The top-level `kind:` of a block-style YAML document, when a line at column 0 spells it. A key at column 0
/// cannot be inside a nested map or a block scalar, so this is the document's kind; JSON and flow documents
/// return None and are parsed.
fn sniff_kind(text: &str) -> Option<&str> {
    text.lines().find_map(|line| {
        let value = line.strip_prefix("kind:")?;
        let value = value.split(" #").next().unwrap_or(value).trim();
        Some(value.trim_matches(|c| c == '"' || c == '\''))
    })
}

/// Whether a document may hold an object the analyzer reads.
fn wanted(doc: &RawDocument) -> bool {
    match sniff_kind(&doc.text) {
        Some(kind) => WANTED_KINDS.contains(&kind) || kind.ends_with("List"),
        None => true,
    }
}

fn parse_batch(batch: &[RawDocument], limits: &Limits) -> (RbacInput, Vec<LoadError>) {
    let mut input = RbacInput::default();
    let mut errors = Vec::new();
    for doc in batch {
        for loaded in mamori_load::parse_raw(doc, limits) {
            match loaded {
                Loaded::Object(object) => input.add(&object),
                Loaded::Error(error) => errors.push(error),
                Loaded::Note(_) => {}
            }
        }
    }
    (input, errors)
}

/// Reads every input with `threads` parsing workers (0 = available cores).
pub fn load(inputs: &[Input], limits: &Limits, threads: usize) -> LoadedInput {
    let threads = if threads == 0 {
        thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    };
    let mut parts: Vec<(u64, RbacInput, Vec<LoadError>)> = Vec::new();
    let mut read_errors: Vec<(u64, LoadError)> = Vec::new();
    let mut documents = 0u64;
    let (work_tx, work_rx) = mpsc::sync_channel::<(u64, Vec<RawDocument>)>(threads * 2);
    let work_rx = std::sync::Mutex::new(work_rx);
    thread::scope(|scope| {
        let (done_tx, done_rx) = mpsc::channel();
        for _ in 0..threads {
            let done_tx = done_tx.clone();
            let work_rx = &work_rx;
            scope.spawn(move || loop {
                let next = match work_rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                let Ok((seq, batch)) = next else {
                    return;
                };
                let (input, errors) = parse_batch(&batch, limits);
                if done_tx.send((seq, input, errors)).is_err() {
                    return;
                }
            });
        }
        drop(done_tx);
        let mut batch = Vec::with_capacity(BATCH);
        let mut seq = 0u64;
        mamori_load::read_documents(inputs, limits, &mut |item| match item {
            Ok(doc) => {
                documents += 1;
                if wanted(&doc) {
                    batch.push(doc);
                    if batch.len() == BATCH {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                        // Workers only stop when the channel closes, so a send cannot fail here.
                        let _ = work_tx.send((seq, full));
                        seq += 1;
                    }
                }
            }
            Err(error) => {
                read_errors.push((seq, error));
            }
        });
        if !batch.is_empty() {
            let _ = work_tx.send((seq, batch));
        }
        drop(work_tx);
        parts.extend(done_rx);
    });
    // Merge in input order so that later duplicates replace earlier ones deterministically.
    parts.sort_by_key(|(seq, _, _)| *seq);
    let mut input = RbacInput::default();
    let mut errors: Vec<LoadError> = Vec::new();
    let mut read_errors = read_errors.into_iter().peekable();
    for (seq, part, part_errors) in parts {
        while let Some((_, error)) = read_errors.next_if(|(s, _)| *s <= seq) {
            errors.push(error);
        }
        input.roles.extend(part.roles);
        input.bindings.extend(part.bindings);
        input.service_accounts.extend(part.service_accounts);
        input.token_secrets.extend(part.token_secrets);
        input.pods.extend(part.pods);
        input.nodes.extend(part.nodes);
        input.notes.extend(part.notes);
        errors.extend(part_errors);
    }
    errors.extend(read_errors.map(|(_, e)| e));
    LoadedInput {
        input,
        errors,
        documents,
    }
}

#[cfg(test)]
mod tests {
    use super::sniff_kind;

    #[test]
    fn sniffs_top_level_kind_only() {
        assert_eq!(sniff_kind("apiVersion: v1\nkind: Pod\n"), Some("Pod"));
        assert_eq!(
            sniff_kind("apiVersion: v1\nkind: \"Secret\" # x\n"),
            Some("Secret")
        );
        assert_eq!(sniff_kind("spec:\n  kind: Pod\n"), None);
        assert_eq!(sniff_kind("{\"kind\": \"Pod\"}"), None);
    }
}
