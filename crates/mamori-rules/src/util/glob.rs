//! Shell-style globs (`*`, `?`) for namespace/name/rule patterns in settings and exceptions.

/// Matches `text` against `pattern`, where `*` matches any run of characters (including none) and `?` exactly
/// one. Iterative with backtracking to the last `*`, so it is linear-ish and cannot blow the stack.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn globs() {
        assert!(glob_match("*", ""));
        assert!(glob_match("team-*", "team-a"));
        assert!(!glob_match("team-*", "teams"));
        assert!(glob_match("a?c", "abc"));
        assert!(glob_match("*-prod-*", "x-prod-y"));
        assert!(!glob_match("kube-system", "kube-public"));
    }
}
