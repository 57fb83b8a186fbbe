"""The stress matrix's report: results.jsonl in, report.md + self-contained report.html out.

``ftlab-harness report --results out/results.jsonl --out out`` (``ci/stress-matrix`` runs it last,
in the ``.venvs/report`` venv that has matplotlib). Modules:

* `results`: loads the JSONL records and answers questions about them (which configurations,
  the bench record of a case at N threads, per-repetition ratios between two cases).
* `findings`: the headline numbers (scaling per pattern on 3.13t vs 3.13, word count vs
  Counter, the immutability study, counters), each next to the calibration of the same run.
* `figures`: the matplotlib plots (PNG bytes); without matplotlib the report has no plots and
  says so.
* `document`: a tiny block model (headings, paragraphs, tables, figures) rendered to both
  Markdown (plots as files under ``plots/``) and HTML (plots inlined as base64 PNG, CSS inline,
  so the file is viewable offline on its own).

Only `figures` needs anything beyond the standard library.
"""
