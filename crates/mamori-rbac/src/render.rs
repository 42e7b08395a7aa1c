//! Renderers of the analyzer's answers: aligned text tables, JSON, and Graphviz dot / Mermaid graphs of
//! escalation paths. They write to any `io::Write`; the CLI chooses the destination.

use crate::analyzer::{DanglingBinding, Grant, PermissionRow, Permissions, WhoCanEntry};
use crate::matching::Request;
use crate::model::InputNote;
use crate::risks::{Risk, RiskReport};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Human description of a request: `create pods/exec (group "") in namespace a`.
pub fn describe_request(request: &Request) -> String {
    match request {
        Request::NonResource { verb, path } => format!("{verb} {path}"),
        Request::Resource(r) => {
            let mut text = format!("{} {}", r.verb, r.combined_resource());
            if !r.api_group.is_empty() {
                text.push_str(&format!(" (group {})", r.api_group));
            }
            if !r.name.is_empty() {
                text.push_str(&format!(" named {}", r.name));
            }
            match &r.namespace {
                Some(ns) => text.push_str(&format!(" in namespace {ns}")),
                None => text.push_str(" cluster-wide"),
            }
            text
        }
    }
}

fn write_table(out: &mut dyn Write, header: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>, out: &mut dyn Write| -> io::Result<()> {
        let last = cells.len().saturating_sub(1);
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            text.push_str(cell);
            if i < last {
                let pad = widths.get(i).copied().unwrap_or(0) - cell.chars().count() + 2;
                text.push_str(&" ".repeat(pad));
            }
        }
        writeln!(out, "{}", text.trim_end())
    };
    line(header.to_vec(), out)?;
    for row in rows {
        line(row.iter().map(String::as_str).collect(), out)?;
    }
    Ok(())
}

fn grant_json(grant: &Grant) -> Value {
    json!({
        "binding": {
            "kind": grant.binding.object.kind,
            "namespace": grant.binding.object.namespace,
            "name": grant.binding.object.name,
            "file": &*grant.binding.source.file,
            "line": grant.binding.source.pos.line,
        },
        "role": {
            "kind": grant.role.kind.as_str(),
            "namespace": grant.role.namespace,
            "name": grant.role.name,
        },
        "boundAs": grant.matched.to_string(),
    })
}

/// `who-can` as a table: one line per subject and grant.
pub fn who_can_text(
    request: &Request,
    entries: &[WhoCanEntry],
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(out, "Who can {}:", describe_request(request))?;
    if entries.is_empty() {
        return writeln!(out, "nobody (no binding grants it)");
    }
    let mut rows = Vec::new();
    for entry in entries {
        for grant in &entry.grants {
            let role = if grant.matched == entry.subject {
                grant.role.to_string()
            } else {
                format!("{} (as {})", grant.role, grant.matched)
            };
            rows.push(vec![entry.subject.to_string(), grant.binding.label(), role]);
        }
    }
    write_table(out, &["SUBJECT", "BINDING", "ROLE"], &rows)?;
    writeln!(out, "{} subject(s)", entries.len())
}

/// `who-can` as JSON.
pub fn who_can_json(
    request: &Request,
    entries: &[WhoCanEntry],
    out: &mut dyn Write,
) -> io::Result<()> {
    let value = json!({
        "request": describe_request(request),
        "subjects": entries.iter().map(|e| json!({
            "subject": e.subject.to_string(),
            "grants": e.grants.iter().map(|g| grant_json(g)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    serde_json::to_writer_pretty(&mut *out, &value)?;
    writeln!(out)
}

fn scope_text(perms: &Permissions) -> String {
    match &perms.namespace {
        Some(ns) => format!("in namespace {ns} (ClusterRoleBindings and RoleBindings of {ns})"),
        None => {
            "cluster-wide (ClusterRoleBindings only; add -n NAMESPACE for RoleBindings)".to_owned()
        }
    }
}

/// `can` as a merged table: API group, resource, names, verbs, granted by.
pub fn can_text(perms: &Permissions, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "Effective permissions of {} {}:",
        perms.subject,
        scope_text(perms)
    )?;
    let rows: Vec<PermissionRow> = perms.table();
    if rows.is_empty() {
        return writeln!(out, "none");
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                match &r.api_group {
                    Some(g) if g.is_empty() => "core".to_owned(),
                    Some(g) => g.clone(),
                    None => "(url)".to_owned(),
                },
                r.resource.clone(),
                if r.resource_names.is_empty() {
                    "*".to_owned()
                } else {
                    r.resource_names.join(",")
                },
                r.verbs.join(","),
                r.granted_by.join("; "),
            ]
        })
        .collect();
    write_table(
        out,
        &["API GROUP", "RESOURCE", "NAMES", "VERBS", "GRANTED BY"],
        &cells,
    )
}

/// `can` as JSON.
pub fn can_json(perms: &Permissions, out: &mut dyn Write) -> io::Result<()> {
    let value = json!({
        "subject": perms.subject.to_string(),
        "namespace": perms.namespace,
        "permissions": perms.table().iter().map(|r| json!({
            "apiGroup": r.api_group,
            "resource": if r.api_group.is_some() { Value::from(r.resource.clone()) } else { Value::Null },
            "nonResourceURL": if r.api_group.is_none() { Value::from(r.resource.clone()) } else { Value::Null },
            "resourceNames": r.resource_names,
            "verbs": r.verbs,
            "grantedBy": r.granted_by,
        })).collect::<Vec<_>>(),
    });
    serde_json::to_writer_pretty(&mut *out, &value)?;
    writeln!(out)
}

/// `risks` as text: findings, each escalation path step by step, then bindings to missing roles.
pub fn risks_text(
    report: &RiskReport,
    dangling: &[DanglingBinding],
    out: &mut dyn Write,
) -> io::Result<()> {
    for risk in &report.risks {
        let f = &risk.finding;
        writeln!(
            out,
            "{:<8} {}  {}",
            f.severity.as_str().to_uppercase(),
            f.rule_id,
            f.message
        )?;
        if let Some(path) = &risk.path {
            for (i, step) in path.steps.iter().enumerate() {
                writeln!(
                    out,
                    "    {}. {} {} → {}",
                    i + 1,
                    step.actor,
                    step.action,
                    step.target
                )?;
                for object in &step.enabled_by {
                    writeln!(out, "         via {object}")?;
                }
            }
        }
    }
    for d in dangling {
        writeln!(
            out,
            "NOTE     {} references missing {}: grants nothing",
            d.binding.label(),
            d.role
        )?;
    }
    let paths = report.risks.iter().filter(|r| r.path.is_some()).count();
    writeln!(
        out,
        "{} risk(s) ({} escalation path(s)) for {} subject(s) analysed; {} binding(s) to missing roles",
        report.risks.len(),
        paths,
        report.subjects_analysed,
        dangling.len()
    )
}

fn risk_json(risk: &Risk) -> Value {
    let f = &risk.finding;
    json!({
        "ruleId": f.rule_id,
        "severity": f.severity.as_str(),
        "subject": risk.subject.to_string(),
        "message": f.message,
        "remediation": f.remediation,
        "object": {
            "kind": f.object.kind,
            "namespace": f.object.namespace,
            "name": f.object.name,
        },
        "location": {"file": &*f.location.file, "line": f.location.pos.line, "column": f.location.pos.col},
        "path": risk.path.as_ref().map(|p| json!({
            "kind": p.kind.id(),
            "steps": p.steps.iter().map(|s| json!({
                "actor": s.actor, "action": s.action, "target": s.target, "enabledBy": s.enabled_by,
            })).collect::<Vec<_>>(),
        })),
    })
}

/// `risks` as JSON.
pub fn risks_json(
    report: &RiskReport,
    dangling: &[DanglingBinding],
    notes: &[InputNote],
    out: &mut dyn Write,
) -> io::Result<()> {
    let value = json!({
        "risks": report.risks.iter().map(risk_json).collect::<Vec<_>>(),
        "subjectsAnalysed": report.subjects_analysed,
        "danglingBindings": dangling.iter().map(|d| json!({
            "binding": d.binding.label(), "missingRole": d.role.to_string(),
        })).collect::<Vec<_>>(),
        "notes": notes.iter().map(|n| format!("{}:{}: {}", n.file, n.pos, n.message)).collect::<Vec<_>>(),
    });
    serde_json::to_writer_pretty(&mut *out, &value)?;
    writeln!(out)
}

/// Graph nodes and labelled edges of every escalation path (nodes numbered in first-seen order).
fn path_graph(report: &RiskReport) -> (Vec<String>, Vec<(usize, usize, String)>) {
    let mut ids: BTreeMap<String, usize> = BTreeMap::new();
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    let mut id = |name: &str, nodes: &mut Vec<String>| -> usize {
        *ids.entry(name.to_owned()).or_insert_with(|| {
            nodes.push(name.to_owned());
            nodes.len() - 1
        })
    };
    for risk in &report.risks {
        let Some(path) = &risk.path else { continue };
        for step in &path.steps {
            let from = id(&step.actor, &mut nodes);
            let to = id(&step.target, &mut nodes);
            let edge = (from, to, step.action.clone());
            if !edges.contains(&edge) {
                edges.push(edge);
            }
        }
    }
    (nodes, edges)
}

fn dot_quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Escalation paths as a Graphviz digraph.
pub fn risks_dot(report: &RiskReport, out: &mut dyn Write) -> io::Result<()> {
    let (nodes, edges) = path_graph(report);
    writeln!(out, "digraph escalation {{")?;
    writeln!(out, "  rankdir=LR;")?;
    writeln!(out, "  node [shape=box];")?;
    for (i, name) in nodes.iter().enumerate() {
        writeln!(out, "  n{i} [label={}];", dot_quote(name))?;
    }
    for (from, to, label) in &edges {
        writeln!(out, "  n{from} -> n{to} [label={}];", dot_quote(label))?;
    }
    writeln!(out, "}}")
}

fn mermaid_text(text: &str) -> String {
    // Mermaid labels are quoted; quotes and markup-significant characters become entity codes.
    text.replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
        .replace('|', "#124;")
}

/// Escalation paths as a Mermaid flowchart.
pub fn risks_mermaid(report: &RiskReport, out: &mut dyn Write) -> io::Result<()> {
    let (nodes, edges) = path_graph(report);
    writeln!(out, "flowchart LR")?;
    for (i, name) in nodes.iter().enumerate() {
        writeln!(out, "  n{i}[\"{}\"]", mermaid_text(name))?;
    }
    for (from, to, label) in &edges {
        writeln!(out, "  n{from} -->|\"{}\"| n{to}", mermaid_text(label))?;
    }
    Ok(())
}
