//! Lesson goals: small conditions over a lab's metrics, such as
//! `strategy == ring and vnodes <= 1 and max_over_mean > 1.5`.

use std::fmt;

use super::lab::LabInfo;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Num(f64),
    Word(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    pub metric: String,
    pub op: Op,
    pub value: Value,
}

/// Every clause must hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Check(pub Vec<Clause>);

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
        })
    }
}

impl Check {
    /// Parses `metric op value [and metric op value]…`, checking the metrics against the lab's.
    pub fn parse(text: &str, lab: &LabInfo) -> Result<Check, String> {
        let mut clauses = Vec::new();
        for part in text.split(" and ") {
            let words: Vec<&str> = part.split_whitespace().collect();
            let [metric, op, value] = words.as_slice() else {
                return Err(format!(
                    "{part:?} is not `metric op value` (e.g. `moved_fraction < 0.3`)"
                ));
            };
            if !lab.metrics.iter().any(|(m, _)| m == metric) {
                let known: Vec<&str> = lab.metrics.iter().map(|(m, _)| *m).collect();
                return Err(format!(
                    "lab {} has no metric {metric:?}; it has {}",
                    lab.id,
                    known.join(", ")
                ));
            }
            let op = match *op {
                "<" => Op::Lt,
                "<=" => Op::Le,
                ">" => Op::Gt,
                ">=" => Op::Ge,
                "==" => Op::Eq,
                "!=" => Op::Ne,
                other => return Err(format!("unknown comparison {other:?}: use < <= > >= == !=")),
            };
            let value = match value.parse::<f64>() {
                Ok(x) => Value::Num(x),
                Err(_) if matches!(op, Op::Eq | Op::Ne) => Value::Word(value.to_string()),
                Err(_) => return Err(format!("{value:?} is not a number, so only == and != can compare it")),
            };
            clauses.push(Clause {
                metric: metric.to_string(),
                op,
                value,
            });
        }
        Ok(Check(clauses))
    }

    /// Whether the metrics (the lab's JSON) satisfy every clause. A missing metric fails.
    pub fn holds(&self, metrics: &serde_json::Value) -> bool {
        self.0.iter().all(|c| {
            let got = &metrics[c.metric.as_str()];
            match (&c.value, got) {
                (Value::Num(want), serde_json::Value::Number(n)) => {
                    let x = n.as_f64().unwrap_or(f64::NAN);
                    match c.op {
                        Op::Lt => x < *want,
                        Op::Le => x <= *want,
                        Op::Gt => x > *want,
                        Op::Ge => x >= *want,
                        Op::Eq => (x - want).abs() < 1e-9,
                        Op::Ne => (x - want).abs() >= 1e-9,
                    }
                }
                (Value::Word(want), serde_json::Value::String(s)) => match c.op {
                    Op::Eq => s == want,
                    Op::Ne => s != want,
                    _ => false,
                },
                // Flags (`semisync_fallback == true`) compare as the words true and false.
                (Value::Word(want), serde_json::Value::Bool(b)) => match c.op {
                    Op::Eq => want == if *b { "true" } else { "false" },
                    Op::Ne => want != if *b { "true" } else { "false" },
                    _ => false,
                },
                _ => false,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::lab::find;

    #[test]
    fn parses_and_evaluates() {
        let ring = find("ring").unwrap();
        let c = Check::parse("strategy == ring and vnodes <= 1 and max_over_mean > 1.5", ring).unwrap();
        let m = serde_json::json!({"strategy": "ring", "vnodes": 1, "max_over_mean": 2.0});
        assert!(c.holds(&m));
        let m = serde_json::json!({"strategy": "ring", "vnodes": 2, "max_over_mean": 2.0});
        assert!(!c.holds(&m));
        let flag = Check::parse("strategy == ring and celebrity_share == true", ring).unwrap();
        assert!(flag.holds(&serde_json::json!({"strategy": "ring", "celebrity_share": true})));
        assert!(!flag.holds(&serde_json::json!({"strategy": "ring", "celebrity_share": false})));
        let moved = Check::parse("moved_fraction < 0.3", ring).unwrap();
        assert!(
            !moved.holds(&serde_json::json!({"moved_fraction": null})),
            "no change yet: not met"
        );
    }

    #[test]
    fn rejects_unknown_metrics_and_bad_syntax() {
        let ring = find("ring").unwrap();
        assert!(Check::parse("speed > 3", ring).unwrap_err().contains("no metric"));
        assert!(Check::parse("vnodes >> 3", ring)
            .unwrap_err()
            .contains("unknown comparison"));
        assert!(Check::parse("vnodes < lots", ring)
            .unwrap_err()
            .contains("not a number"));
        assert!(Check::parse("vnodes", ring).is_err());
    }
}
