//! The content model: modules, glossary terms and lessons, loaded from TOML and Markdown files
//! (embedded at build time or read from a directory) and checked by the validator.

mod controls;
mod files;
mod glossary;
mod lessons;
pub mod markdown;
mod modules;
mod problem;
pub mod quiz;
mod text;
mod validate;

// Ids are trusted content, not attacker input, so a fast non-keyed hash is the right trade.
use rustc_hash::FxHashMap as HashMap;

pub use controls::first_control_in_toml;
pub use files::{embedded_files, read_dir_files, SourceFile};
pub use problem::{Problem, Severity};
pub use quiz::Question;
pub use text::word_count;

#[derive(Debug, Clone)]
pub struct Module {
    pub id: String,
    pub title: String,
    pub summary: String,
    /// Indices into `Content::lessons`, in lesson order.
    pub lessons: Vec<usize>,
    /// Indices into `Content::terms`.
    pub terms: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Term {
    pub id: String,
    pub name: String,
    pub aliases: Vec<String>,
    pub module: String,
    pub summary: String,
    pub body: String,
    pub see_also: Vec<String>,
    /// Indices into `Content::lessons` of the lessons that list this term; derived, not authored.
    pub taught_in: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Lesson {
    /// `<module>/<NN>-<slug>`
    pub id: String,
    pub module: String,
    pub number: u32,
    pub title: String,
    pub minutes: u32,
    pub summary: String,
    pub terms: Vec<String>,
    pub steps: Vec<Step>,
    pub checks: Vec<Check>,
    /// The lab shown beside the steps, by id.
    pub lab: Option<String>,
    pub goals: Vec<Goal>,
}

/// Something the learner must make happen in the lab on one step.
#[derive(Debug, Clone)]
pub struct Goal {
    /// 0-based step index.
    pub step: usize,
    pub text: String,
    /// A condition over the lab's metrics, parsed once when the content loads.
    pub check: crate::engines::goal::Check,
    pub hint: String,
    /// The keys that reach the goal.
    pub solution: String,
    /// A scenario (TOML with a `[config]` table) the lab starts from on this step.
    pub scenario: Option<String>,
    /// Predict-then-run: the learner commits to a number before driving the lab.
    pub predict: Option<Prediction>,
}

/// What a goal asks the learner to predict, and how close counts as right.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// The lab metric predicted (numeric).
    pub metric: String,
    pub tolerance: f64,
    pub question: String,
}

impl Prediction {
    /// Whether `predicted` is within the tolerance of what the lab `measured`.
    pub fn within(&self, predicted: f64, measured: f64) -> bool {
        // A hair of slack so a tolerance of 0.05 accepts 0.30 against 0.35 despite rounding.
        (predicted - measured).abs() <= self.tolerance + 1e-9 * measured.abs().max(1.0)
    }
}

#[derive(Debug, Clone)]
pub struct Step {
    pub title: String,
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct Check {
    pub question: String,
    pub answer: String,
}

impl Lesson {
    /// Steps as the reader shows them: the authored steps, then "Check yourself" when the lesson
    /// has questions.
    pub fn step_count(&self) -> usize {
        self.steps.len() + usize::from(!self.checks.is_empty())
    }
}

/// What a run of files parsed into, before the cross-file checks.
#[derive(Default)]
struct Parts {
    modules: Vec<Module>,
    terms: Vec<Term>,
    lessons: Vec<Lesson>,
    questions: Vec<Question>,
    parsed: validate::Parsed,
    problems: Vec<Problem>,
}

impl Parts {
    fn parse(&mut self, file: &SourceFile) {
        let rel = file.rel.as_str();
        let (parsed, problems) = (&mut self.parsed, &mut self.problems);
        validate::scan_wording(file, problems);
        controls::check(file, problems);
        if rel == "content/modules.toml" {
            modules::parse(file, &mut self.modules, parsed, problems);
        } else if let Some(module) = rel
            .strip_prefix("content/glossary/")
            .and_then(|r| r.strip_suffix(".toml"))
        {
            glossary::parse(file, module, &mut self.terms, parsed, problems);
        } else if rel.starts_with("lessons/") && rel.ends_with(".md") {
            lessons::parse(file, &mut self.lessons, parsed, problems);
        } else if let Some(module) = rel
            .strip_prefix("content/quizzes/")
            .and_then(|r| r.strip_suffix(".toml"))
        {
            quiz::parse(file, module, &mut self.questions, parsed, problems);
        } else {
            problems.push(Problem::new(
                &file.display,
                1,
                "unexpected file: not part of the content layout (see CONTENT.md)",
            ));
        }
    }

    fn merge(&mut self, other: Parts) {
        self.modules.extend(other.modules);
        self.terms.extend(other.terms);
        self.lessons.extend(other.lessons);
        self.questions.extend(other.questions);
        self.parsed.merge(other.parsed);
        self.problems.extend(other.problems);
    }
}

/// Everything sdlab teaches, cross-referenced.
#[derive(Debug, Clone, Default)]
pub struct Content {
    pub modules: Vec<Module>,
    pub terms: Vec<Term>,
    pub lessons: Vec<Lesson>,
    pub questions: Vec<Question>,
    /// Where each lesson step's body starts, for warnings computed on demand.
    step_lines: validate::StepLines,
    term_index: HashMap<String, usize>,
    lesson_index: HashMap<String, usize>,
    module_index: HashMap<String, usize>,
}

impl Content {
    /// Parses and validates `files`, returning the content that could be read and every problem.
    pub fn load(files: &[SourceFile]) -> (Content, Vec<Problem>) {
        // Files parse independently, so contiguous runs of them (balanced by parsing cost) are parsed on
        // separate threads and merged back in file order: start-up is dominated by this.
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4);
        // TOML costs about twice as much per byte to parse as a Markdown lesson (measured).
        let cost = |f: &SourceFile| f.text.len() * if f.rel.ends_with(".toml") { 2 } else { 1 };
        let total: usize = files.iter().map(cost).sum();
        let mut chunks: Vec<&[SourceFile]> = Vec::new();
        let (mut start, mut size) = (0, 0);
        for (i, f) in files.iter().enumerate() {
            size += cost(f);
            if size * threads >= total * (chunks.len() + 1) && chunks.len() + 1 < threads {
                chunks.push(&files[start..=i]);
                start = i + 1;
            }
        }
        chunks.push(&files[start..]);
        let parts: Vec<Parts> = std::thread::scope(|scope| {
            let handles: Vec<_> = chunks
                .iter()
                .map(|chunk| {
                    scope.spawn(move || {
                        let mut parts = Parts::default();
                        for file in *chunk {
                            parts.parse(file);
                        }
                        parts
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
        });
        let mut all = Parts::default();
        for p in parts {
            all.merge(p);
        }
        let Parts {
            modules,
            terms,
            lessons,
            questions,
            mut parsed,
            mut problems,
        } = all;
        if !files.iter().any(|f| f.rel == "content/modules.toml") {
            problems.push(Problem::new(
                "content/modules.toml",
                1,
                "missing: every content tree needs a module list",
            ));
        }
        let mut content = Content {
            modules,
            terms,
            lessons,
            questions,
            ..Default::default()
        };
        content.index();
        content.step_lines = std::mem::take(&mut parsed.step_lines);
        validate::check(&content, &parsed, &mut problems);
        // The parse records are tens of thousands of small allocations made on the worker
        // threads; freeing them is pure overhead for the caller, so it happens off its path.
        std::thread::spawn(move || drop(parsed));
        problems.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        (content, problems)
    }

    /// What `sdlab check` reports without failing (as `path:line: warning: ...`), such as a
    /// lesson's unlinked first mention of a term. Computed on demand rather than in `load`, so
    /// start-up does not pay for a scan only the checker needs.
    pub fn warnings(&self) -> Vec<Problem> {
        let mut warnings = Vec::new();
        validate::unlinked_first_mentions(self, &self.step_lines, &mut warnings);
        warnings.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        warnings
    }

    /// The content compiled into the binary.
    pub fn embedded() -> (Content, Vec<Problem>) {
        Content::load(&embedded_files())
    }

    fn index(&mut self) {
        self.lessons.sort_by(|a, b| {
            let ma = self.modules.iter().position(|m| m.id == a.module);
            let mb = self.modules.iter().position(|m| m.id == b.module);
            (ma, a.number, &a.id).cmp(&(mb, b.number, &b.id))
        });
        self.term_index = self.terms.iter().enumerate().map(|(i, t)| (t.id.clone(), i)).collect();
        self.lesson_index = self
            .lessons
            .iter()
            .enumerate()
            .map(|(i, l)| (l.id.clone(), i))
            .collect();
        self.module_index = self
            .modules
            .iter()
            .enumerate()
            .map(|(i, m)| (m.id.clone(), i))
            .collect();
        for (li, lesson) in self.lessons.iter().enumerate() {
            if let Some(&mi) = self.module_index.get(&lesson.module) {
                self.modules[mi].lessons.push(li);
            }
            for t in &lesson.terms {
                if let Some(&ti) = self.term_index.get(t) {
                    self.terms[ti].taught_in.push(li);
                }
            }
        }
        for (ti, term) in self.terms.iter().enumerate() {
            if let Some(&mi) = self.module_index.get(&term.module) {
                self.modules[mi].terms.push(ti);
            }
        }
    }

    pub fn term(&self, id: &str) -> Option<&Term> {
        self.term_index.get(id).map(|&i| &self.terms[i])
    }
    pub fn term_idx(&self, id: &str) -> Option<usize> {
        self.term_index.get(id).copied()
    }
    pub fn lesson(&self, id: &str) -> Option<&Lesson> {
        self.lesson_index.get(id).map(|&i| &self.lessons[i])
    }
    pub fn lesson_idx(&self, id: &str) -> Option<usize> {
        self.lesson_index.get(id).copied()
    }
    pub fn module(&self, id: &str) -> Option<&Module> {
        self.module_index.get(id).map(|&i| &self.modules[i])
    }
    pub fn module_idx(&self, id: &str) -> Option<usize> {
        self.module_index.get(id).copied()
    }
}
