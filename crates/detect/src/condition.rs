//! Sigma conditions: `and`, `or`, `not`, parentheses, `1 of X*`, `all of X*`, `1 of
//! them`, `all of them`, with search names resolved (wildcards expanded) at parse time.
//! Aggregations (`| count() ...`, deprecated in Sigma 2) are rejected with a reason.

/// A condition over the rule's searches (indices into `Rule::searches`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cond {
    Search(usize),
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    /// Constant (an `of` over an empty set: `1 of` false, `all of` true).
    Const(bool),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(String),
    Open,
    Close,
}

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' | ')' | ' ' | '\t' | '\n' | '\r' => {
                if !cur.is_empty() {
                    out.push(Tok::Word(std::mem::take(&mut cur)));
                }
                match c {
                    '(' => out.push(Tok::Open),
                    ')' => out.push(Tok::Close),
                    _ => {}
                }
            }
            '|' => {
                return Err("aggregation (`| count() ...`) is not evaluated: use Sigma correlation rules in a SIEM".into())
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(Tok::Word(cur));
    }
    Ok(out)
}

struct P<'a> {
    toks: Vec<Tok>,
    pos: usize,
    names: &'a [&'a str],
}

fn glob_match(pat: &str, name: &str) -> bool {
    // `*` only (search-name patterns).
    let parts: Vec<&str> = pat.split('*').collect();
    if parts.len() == 1 {
        return pat == name;
    }
    let mut rest = name;
    for (i, p) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(p) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(p);
        } else {
            match rest.find(p) {
                Some(j) => rest = &rest[j + p.len()..],
                None => return false,
            }
        }
    }
    true
}

impl P<'_> {
    fn peek_word(&self) -> Option<&str> {
        match self.toks.get(self.pos) {
            Some(Tok::Word(w)) => Some(w.as_str()),
            _ => None,
        }
    }

    fn or(&mut self) -> Result<Cond, String> {
        let mut v = vec![self.and()?];
        while self
            .peek_word()
            .is_some_and(|w| w.eq_ignore_ascii_case("or"))
        {
            self.pos += 1;
            v.push(self.and()?);
        }
        Ok(if v.len() == 1 {
            v.remove(0)
        } else {
            Cond::Or(v)
        })
    }

    fn and(&mut self) -> Result<Cond, String> {
        let mut v = vec![self.not()?];
        while self
            .peek_word()
            .is_some_and(|w| w.eq_ignore_ascii_case("and"))
        {
            self.pos += 1;
            v.push(self.not()?);
        }
        Ok(if v.len() == 1 {
            v.remove(0)
        } else {
            Cond::And(v)
        })
    }

    fn not(&mut self) -> Result<Cond, String> {
        if self
            .peek_word()
            .is_some_and(|w| w.eq_ignore_ascii_case("not"))
        {
            self.pos += 1;
            return Ok(Cond::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Cond, String> {
        match self.toks.get(self.pos).cloned() {
            None => Err("unexpected end of condition".into()),
            Some(Tok::Close) => Err("unexpected `)`".into()),
            Some(Tok::Open) => {
                self.pos += 1;
                let c = self.or()?;
                match self.toks.get(self.pos) {
                    Some(Tok::Close) => {
                        self.pos += 1;
                        Ok(c)
                    }
                    _ => Err("missing `)`".into()),
                }
            }
            Some(Tok::Word(w)) => {
                self.pos += 1;
                let lw = w.to_ascii_lowercase();
                if matches!(lw.as_str(), "and" | "or") {
                    return Err(format!("unexpected `{w}`"));
                }
                let quant = if lw == "all" {
                    Some(None)
                } else if let Ok(n) = lw.parse::<usize>() {
                    Some(Some(n))
                } else {
                    None
                };
                if let Some(q) = quant {
                    if self
                        .peek_word()
                        .is_some_and(|x| x.eq_ignore_ascii_case("of"))
                    {
                        self.pos += 1;
                        let Some(target) = self.peek_word().map(str::to_owned) else {
                            return Err(format!("`{w} of` needs a search name pattern or `them`"));
                        };
                        self.pos += 1;
                        let idx: Vec<usize> = if target.eq_ignore_ascii_case("them") {
                            (0..self.names.len())
                                .filter(|&i| !self.names[i].starts_with('_'))
                                .collect()
                        } else {
                            (0..self.names.len())
                                .filter(|&i| glob_match(&target, self.names[i]))
                                .collect()
                        };
                        if idx.is_empty() {
                            return Err(format!("`{w} of {target}` matches no search"));
                        }
                        let terms: Vec<Cond> = idx.into_iter().map(Cond::Search).collect();
                        return Ok(match q {
                            None => Cond::And(terms),
                            Some(1) => Cond::Or(terms),
                            Some(0) => Cond::Const(true),
                            Some(n) => at_least(n, terms),
                        });
                    }
                }
                if w.contains('*') {
                    return Err(format!(
                        "a search-name wildcard `{w}` outside `1 of`/`all of`"
                    ));
                }
                match self.names.iter().position(|n| *n == w) {
                    Some(i) => Ok(Cond::Search(i)),
                    None => Err(format!(
                        "unknown search `{w}` (defined: {})",
                        self.names.join(", ")
                    )),
                }
            }
        }
    }
}

/// `n of` terms: an OR over all n-subsets (small n only in practice).
fn at_least(n: usize, terms: Vec<Cond>) -> Cond {
    if n > terms.len() {
        return Cond::Const(false);
    }
    fn rec(n: usize, start: usize, terms: &[Cond], cur: &mut Vec<Cond>, out: &mut Vec<Cond>) {
        if cur.len() == n {
            out.push(Cond::And(cur.clone()));
            return;
        }
        for i in start..terms.len() {
            cur.push(terms[i].clone());
            rec(n, i + 1, terms, cur, out);
            cur.pop();
        }
    }
    let mut out = Vec::new();
    rec(n, 0, &terms, &mut Vec::new(), &mut out);
    Cond::Or(out)
}

/// Parses a condition against the rule's search names.
pub fn parse(s: &str, names: &[&str]) -> Result<Cond, String> {
    let toks = lex(s)?;
    if toks.is_empty() {
        return Err("empty condition".into());
    }
    let mut p = P {
        toks,
        pos: 0,
        names,
    };
    let c = p.or()?;
    if p.pos != p.toks.len() {
        return Err(format!("unexpected text after position {}", p.pos));
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_and_quantifiers() {
        let names = ["sel", "filter_a", "filter_b", "_x"];
        assert_eq!(
            parse("sel and not 1 of filter_*", &names).unwrap(),
            Cond::And(vec![
                Cond::Search(0),
                Cond::Not(Box::new(Cond::Or(vec![Cond::Search(1), Cond::Search(2)])))
            ])
        );
        assert_eq!(
            parse("all of them", &names).unwrap(),
            Cond::And(vec![Cond::Search(0), Cond::Search(1), Cond::Search(2)])
        );
        assert_eq!(
            parse("sel or filter_a and filter_b", &names).unwrap(),
            Cond::Or(vec![
                Cond::Search(0),
                Cond::And(vec![Cond::Search(1), Cond::Search(2)])
            ])
        );
        assert!(parse("sel | count() > 5", &names).is_err());
        assert!(parse("(sel", &names).is_err());
        assert!(parse("1 of nothing*", &names).is_err());
    }
}
