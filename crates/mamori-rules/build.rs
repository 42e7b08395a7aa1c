//! Generates the rule catalogue from the files under `src/rules/<group>/<rule>.rs`: each file defines
//! `pub static RULE: crate::Rule`. Adding a rule = adding a file; nothing else is edited.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = Path::new("src/rules");
    println!("cargo:rerun-if-changed=src/rules");
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    let mut group_dirs: Vec<_> = std::fs::read_dir(root)
        .expect("src/rules exists")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .collect();
    group_dirs.sort_by_key(|e| e.file_name());
    for group in group_dirs {
        println!("cargo:rerun-if-changed={}", group.path().display());
        let mut files: Vec<String> = std::fs::read_dir(group.path())
            .expect("readable rule group")
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".rs") && n != "mod.rs")
            .map(|n| n.trim_end_matches(".rs").to_owned())
            .collect();
        files.sort();
        groups.push((group.file_name().to_string_lossy().into_owned(), files));
    }
    let mut modules = String::new();
    let mut list = String::from("/// Every rule, in catalogue order (group, then file name).\npub static CATALOGUE: &[&crate::Rule] = &[\n");
    for (group, files) in &groups {
        writeln!(modules, "pub mod {group} {{").unwrap();
        for file in files {
            let path = std::fs::canonicalize(root.join(group).join(format!("{file}.rs"))).unwrap();
            writeln!(
                modules,
                "    #[path = {:?}]\n    pub mod {file};",
                path.display().to_string()
            )
            .unwrap();
            writeln!(list, "    &{group}::{file}::RULE,").unwrap();
        }
        writeln!(modules, "}}").unwrap();
    }
    list.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("catalogue.rs");
    std::fs::write(out, format!("{modules}\n{list}")).unwrap();
}
