//! `ftlab-mutants FILE...`: the concurrency-mutation sites of Rust source files, one JSON object
//! per line (the driver is `ci/mutants`, `python/ftlab_ci/mutants.py`).
//!
//! Each site is one realistic concurrency mistake, found with a parser (syn), never by pattern
//! matching the text. A site names the byte range `[start, end)` of the source to replace and its
//! replacement, so applying it is `src[..start] + replacement + src[end..]`. Operators:
//!
//! * `ordering_relaxed`: an atomic ordering argument of a method call (`Ordering::SeqCst`,
//!   `AcqRel`, `Acquire`, `Release`, or the bare ident) weakened to `Relaxed`. Free functions
//!   (`fence`) are left alone: `fence(Relaxed)` panics rather than races.
//! * `notify_removed`: a notification statement dropped: `cv.notify_one();`, `cv.notify_all();`
//!   or a call of a wake-up helper (`W::wake_all(&cv);`, `wake_one`).
//! * `rmw_split`: an atomic read-modify-write (`fetch_add`/`fetch_sub`/`fetch_or`/`fetch_and`/
//!   `fetch_xor` with a literal ordering) split into a load and a store, with the orderings the
//!   RMW had on each side (AcqRel: Acquire load, Release store).
//! * `lock_order_swapped`: two consecutive `let a = X.lock(); let b = Y.lock();` (or `read()`
//!   / `write()`) statements swapped, when the second does not use the first's binding.
//! * `gil_used_true`: `#[pymodule(gil_used = false)]` or `m.gil_used(false)` flipped to `true`.
//! * `detach_removed`: `py.detach(closure)` / `py.allow_threads(closure)` replaced by calling the
//!   closure while still attached.
//!
//! Items under `#[cfg(test)]` (and `#[test]` functions) are skipped.

use proc_macro2::{LineColumn, Span, TokenTree};
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Attribute, Block, Expr, ExprMethodCall, Lit, Local, Pat, Stmt};

const STRONG: [&str; 4] = ["SeqCst", "AcqRel", "Acquire", "Release"];
const NOTIFY: [&str; 4] = ["notify_one", "notify_all", "wake_one", "wake_all"];
const LOCKS: [&str; 3] = ["lock", "read", "write"];

/// One mutation site.
struct Site {
    op: &'static str,
    start: usize,
    end: usize,
    begin: LineColumn,
    replacement: String,
    function: String,
}

struct Finder<'a> {
    src: &'a str,
    line_starts: Vec<usize>,
    functions: Vec<String>,
    sites: Vec<Site>,
}

impl<'a> Finder<'a> {
    fn new(src: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        Finder {
            src,
            line_starts,
            functions: Vec::new(),
            sites: Vec::new(),
        }
    }

    /// Byte offset of a line/column (proc-macro2 columns count chars, lines start at 1).
    fn offset(&self, lc: LineColumn) -> usize {
        let Some(&line_start) = self.line_starts.get(lc.line.saturating_sub(1)) else {
            return self.src.len();
        };
        self.src[line_start..]
            .char_indices()
            .nth(lc.column)
            .map_or(self.src.len(), |(i, _)| line_start + i)
    }

    fn text(&self, span: Span) -> &'a str {
        &self.src[self.offset(span.start())..self.offset(span.end())]
    }

    fn add(&mut self, op: &'static str, span: Span, replacement: String) {
        self.add_range(op, span.start(), span.end(), replacement);
    }

    fn add_range(
        &mut self,
        op: &'static str,
        begin: LineColumn,
        end: LineColumn,
        replacement: String,
    ) {
        let function = self.functions.last().cloned().unwrap_or_default();
        let (start, end) = (self.offset(begin), self.offset(end));
        self.sites.push(Site {
            op,
            start,
            end,
            begin,
            replacement,
            function,
        });
    }

    fn visit_fn_like(&mut self, name: String, attrs: &[Attribute], f: impl FnOnce(&mut Self)) {
        if skipped(attrs) {
            return;
        }
        self.functions.push(name);
        f(self);
        self.functions.pop();
    }

    /// A `Stmt` that only calls a notification: `cv.notify_all()`, `W::wake_one(&cv)`.
    fn notification(expr: &Expr) -> bool {
        match expr {
            Expr::MethodCall(m) => NOTIFY.contains(&m.method.to_string().as_str()),
            Expr::Call(c) => match &*c.func {
                Expr::Path(p) => p
                    .path
                    .segments
                    .last()
                    .is_some_and(|s| NOTIFY.contains(&s.ident.to_string().as_str())),
                _ => false,
            },
            _ => false,
        }
    }
}

/// `#[cfg(test)]`, `#[test]`: test code is not mutated.
fn skipped(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        if a.path().is_ident("test") {
            return true;
        }
        if !a.path().is_ident("cfg") {
            return false;
        }
        let Ok(list) = a.meta.require_list() else {
            return false;
        };
        let idents: Vec<String> = list
            .tokens
            .clone()
            .into_iter()
            .filter_map(|t| match t {
                TokenTree::Ident(i) => Some(i.to_string()),
                _ => None,
            })
            .collect();
        idents.iter().any(|i| i == "test") && !idents.iter().any(|i| i == "not")
    })
}

/// The strong ordering a path names (`Ordering::AcqRel`, `AcqRel`), with its path's prefix.
fn strong_ordering(expr: &Expr) -> Option<(String, String, Span)> {
    let Expr::Path(p) = expr else { return None };
    let segments = &p.path.segments;
    let last = segments.last()?;
    let name = last.ident.to_string();
    if !STRONG.contains(&name.as_str()) && name != "Relaxed" {
        return None;
    }
    if segments.len() > 1 && segments[segments.len() - 2].ident != "Ordering" {
        return None;
    }
    let prefix: Vec<String> = segments
        .iter()
        .take(segments.len() - 1)
        .map(|s| s.ident.to_string())
        .collect();
    let prefix = if prefix.is_empty() {
        String::new()
    } else {
        format!("{}::", prefix.join("::"))
    };
    Some((prefix, name, last.ident.span()))
}

/// The lock acquisition a `let` makes: a `lock()`/`read()`/`write()` call (no argument) on the
/// initializer's method chain (`x.lock()`, `*x.lock()`, `x.lock().unwrap()`).
fn acquires_lock(local: &Local) -> bool {
    let Some(init) = &local.init else {
        return false;
    };
    if init.diverge.is_some() {
        return false;
    }
    let mut expr = &*init.expr;
    loop {
        match expr {
            Expr::Unary(u) => expr = &u.expr,
            Expr::Reference(r) => expr = &r.expr,
            Expr::Try(t) => expr = &t.expr,
            Expr::MethodCall(m) => {
                if m.args.is_empty() && LOCKS.contains(&m.method.to_string().as_str()) {
                    return true;
                }
                expr = &m.receiver;
            }
            _ => return false,
        }
    }
}

/// Every identifier a pattern binds.
fn bound_names(pat: &Pat, out: &mut Vec<String>) {
    struct Names<'o>(&'o mut Vec<String>);
    impl<'ast> Visit<'ast> for Names<'_> {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.0.push(p.ident.to_string());
            visit::visit_pat_ident(self, p);
        }
    }
    Names(out).visit_pat(pat);
}

/// Whether an expression mentions any of `names` (as an identifier).
fn mentions(expr: &Expr, names: &[String]) -> bool {
    struct Uses<'n>(&'n [String], bool);
    impl<'ast> Visit<'ast> for Uses<'_> {
        fn visit_ident(&mut self, i: &'ast proc_macro2::Ident) {
            if self.0.iter().any(|n| i == n) {
                self.1 = true;
            }
        }
    }
    let mut uses = Uses(names, false);
    uses.visit_expr(expr);
    uses.1
}

impl<'ast> Visit<'ast> for Finder<'_> {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if !skipped(&m.attrs) {
            visit::visit_item_mod(self, m);
        }
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        if !skipped(&i.attrs) {
            visit::visit_item_impl(self, i);
        }
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.visit_fn_like(f.sig.ident.to_string(), &f.attrs, |s| {
            visit::visit_item_fn(s, f)
        });
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.visit_fn_like(f.sig.ident.to_string(), &f.attrs, |s| {
            visit::visit_impl_item_fn(s, f)
        });
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        self.visit_fn_like(f.sig.ident.to_string(), &f.attrs, |s| {
            visit::visit_trait_item_fn(s, f)
        });
    }

    /// `#[pymodule(gil_used = false)]` → `true`.
    fn visit_attribute(&mut self, a: &'ast Attribute) {
        let is_pymodule = a
            .path()
            .segments
            .last()
            .is_some_and(|s| s.ident == "pymodule");
        if let (true, Ok(list)) = (is_pymodule, a.meta.require_list()) {
            let tokens: Vec<TokenTree> = list.tokens.clone().into_iter().collect();
            for w in tokens.windows(3) {
                if let [TokenTree::Ident(k), TokenTree::Punct(eq), TokenTree::Ident(v)] = w {
                    if k == "gil_used" && eq.as_char() == '=' && v == "false" {
                        self.add("gil_used_true", v.span(), "true".into());
                    }
                }
            }
        }
        visit::visit_attribute(self, a);
    }

    fn visit_expr_method_call(&mut self, m: &'ast ExprMethodCall) {
        let method = m.method.to_string();
        for arg in &m.args {
            if let Some((_, name, span)) = strong_ordering(arg) {
                if name != "Relaxed" {
                    self.add("ordering_relaxed", span, "Relaxed".into());
                }
            }
        }
        let rmw = match method.as_str() {
            "fetch_add" => Some("{m}.wrapping_add({v})"),
            "fetch_sub" => Some("{m}.wrapping_sub({v})"),
            "fetch_or" => Some("{m} | ({v})"),
            "fetch_and" => Some("{m} & ({v})"),
            "fetch_xor" => Some("{m} ^ ({v})"),
            _ => None,
        };
        if let (Some(form), 2) = (rmw, m.args.len()) {
            if let Some((prefix, name, _)) = strong_ordering(&m.args[1]) {
                let (load, store) = match name.as_str() {
                    "SeqCst" => ("SeqCst", "SeqCst"),
                    "AcqRel" => ("Acquire", "Release"),
                    "Acquire" => ("Acquire", "Relaxed"),
                    "Release" => ("Relaxed", "Release"),
                    _ => ("Relaxed", "Relaxed"),
                };
                let recv = self.text(m.receiver.span());
                let value = form
                    .replace("{m}", "__m")
                    .replace("{v}", self.text(m.args[0].span()));
                let replacement = format!(
                    "{{ let __m = {recv}.load({prefix}{load}); {recv}.store({value}, {prefix}{store}); __m }}"
                );
                self.add("rmw_split", m.span(), replacement);
            }
        }
        if method == "gil_used" && m.args.len() == 1 {
            if let Expr::Lit(syn::ExprLit {
                lit: Lit::Bool(b), ..
            }) = &m.args[0]
            {
                if !b.value {
                    self.add("gil_used_true", b.span, "true".into());
                }
            }
        }
        if (method == "detach" || method == "allow_threads") && m.args.len() == 1 {
            if let Expr::Closure(c) = &m.args[0] {
                let replacement = format!("({})()", self.text(c.span()));
                self.add("detach_removed", m.span(), replacement);
            }
        }
        visit::visit_expr_method_call(self, m);
    }

    fn visit_block(&mut self, b: &'ast Block) {
        for stmt in &b.stmts {
            if let Stmt::Expr(e, semi) = stmt {
                if Finder::notification(e) {
                    match semi {
                        Some(semi) => self.add_range(
                            "notify_removed",
                            e.span().start(),
                            semi.span.end(),
                            String::new(),
                        ),
                        None => self.add("notify_removed", e.span(), "()".into()),
                    }
                }
            }
        }
        for pair in b.stmts.windows(2) {
            if let [Stmt::Local(first), Stmt::Local(second)] = pair {
                let mut names = Vec::new();
                bound_names(&first.pat, &mut names);
                let second_init = second.init.as_ref().map(|i| &*i.expr);
                if acquires_lock(first)
                    && acquires_lock(second)
                    && !second_init.is_some_and(|e| mentions(e, &names))
                {
                    let (a, z) = (first.span(), second.span());
                    let (a_text, z_text) = (self.text(a), self.text(z));
                    let between = &self.src[self.offset(a.end())..self.offset(z.start())];
                    self.add_range(
                        "lock_order_swapped",
                        a.start(),
                        z.end(),
                        format!("{z_text}{between}{a_text}"),
                    );
                }
            }
        }
        visit::visit_block(self, b);
    }
}

fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn main() {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() || files.iter().any(|f| f == "-h" || f == "--help") {
        eprintln!("usage: ftlab-mutants FILE.rs...  (prints one JSON object per mutation site)");
        std::process::exit(2);
    }
    let mut failed = false;
    for file in &files {
        let src = match std::fs::read_to_string(file) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("ftlab-mutants: {file}: {e}");
                failed = true;
                continue;
            }
        };
        let ast = match syn::parse_file(&src) {
            Ok(ast) => ast,
            Err(e) => {
                let at = e.span().start();
                eprintln!("ftlab-mutants: {file}:{}:{}: {e}", at.line, at.column + 1);
                failed = true;
                continue;
            }
        };
        let mut finder = Finder::new(&src);
        finder.visit_file(&ast);
        finder.sites.sort_by_key(|s| (s.start, s.end));
        for s in &finder.sites {
            println!(
                "{{\"file\": {}, \"op\": {}, \"line\": {}, \"column\": {}, \"start\": {}, \"end\": {}, \
                 \"original\": {}, \"replacement\": {}, \"function\": {}}}",
                json_str(file),
                json_str(s.op),
                s.begin.line,
                s.begin.column + 1,
                s.start,
                s.end,
                json_str(&src[s.start..s.end]),
                json_str(&s.replacement),
                json_str(&s.function),
            );
        }
    }
    std::process::exit(i32::from(failed));
}
