"""`authgate`: scan · init · baseline · merge · schema · comment · demo.

Exit codes: 0 pass, 1 fail, 2 could not scan (bad config, service did not start, a check broke).
No traceback reaches the user for an expected problem: one clear line per problem instead.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from gate import __version__
from gate.config import ConfigError, config_schema, load_config
from gate.errors import EXIT_ERROR, Interrupted, ScanError, handle_signals, internal_error
from gate.report import FORMATS, json_report, write
from gate.report.console import Console
from gate.runner import config_name, error_result, run_scan, under_way
from gate.verdict.merge import MergeError, merge
from gate.verdict.result import ScanResult

if TYPE_CHECKING:
    from gate.scan import Options

DEFAULT_OUTPUT = {
    "json": "authgate-report.json",
    "markdown": "authgate-report.md",
    "sarif": "authgate-report.sarif",
    "annotations": "-",  # workflow commands act only on the step's output
    "check-run": "authgate-check-run.json",
}


def _shard(text: str) -> tuple[int, int]:
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError("expected i/n, e.g. 1/2") from None
    if not 1 <= i <= n:
        raise argparse.ArgumentTypeError("expected 1 <= i <= n")
    return i, n


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="authgate",
        description="Attack the authentication and authorization of "
        "a DynamoDB-backed API service and gate the pull request on the result.",
    )
    p.add_argument("--version", action="version", version=f"authgate {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    def scan_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("target", nargs="?", default=".", help="service directory holding .authgate.yml")
        sp.add_argument("--config", help="config file (default: TARGET/.authgate.yml)")
        sp.add_argument("--threshold", type=int, help="minimum gate score (overrides gate.threshold)")
        sp.add_argument(
            "--fail-on",
            choices=["info", "low", "medium", "high", "critical"],
            help="a new finding at or above this severity fails (overrides gate.fail_on)",
        )
        sp.add_argument("--baseline", help="baseline file (default: TARGET/<gate.verdict.baseline>)")
        sp.add_argument("--shard", type=_shard, help="scan shard i of n (operations split by a stable hash)")
        sp.add_argument("--quiet", action="store_true", help="print only the verdict line")

    s = sub.add_parser("scan", help="scan a service and decide the gate")
    scan_args(s)
    s.add_argument(
        "--format",
        default="json",
        choices=sorted(FORMATS),
        help="format of --output: json (the report), markdown (PR comment / job summary), sarif (code "
        "scanning), annotations (GitHub workflow commands), check-run (the GitHub check run's output)",
    )
    s.add_argument(
        "--output",
        help="where --format goes; '-' is stdout (default: authgate-report.json, .md or .sarif, "
        "authgate-check-run.json by format; annotations to stdout)",
    )
    s.add_argument("--sarif", help="also write SARIF here")
    s.add_argument("--markdown", help="also write the Markdown summary here")
    s.add_argument("--no-baseline", action="store_true", help="ignore the baseline file")

    i = sub.add_parser("init", help="write .authgate.yml from the service's code (read, never run)")
    i.add_argument("target", nargs="?", default=".", help="service directory (default: .)")
    i.add_argument("--force", action="store_true", help="replace an existing .authgate.yml")

    b = sub.add_parser("baseline", help="scan and write the baseline of accepted findings")
    scan_args(b)
    b.add_argument("--output", help="baseline path (default: TARGET/<gate.verdict.baseline>)")

    m = sub.add_parser("merge", help="merge the JSON reports of shards into one verdict")
    m.add_argument("reports", nargs="+")
    m.add_argument("--output", default="authgate-report.json")
    m.add_argument("--format", default="json", choices=sorted(DEFAULT_OUTPUT))

    sc = sub.add_parser("schema", help="print the JSON Schema of .authgate.yml (or of the report)")
    sc.add_argument("--report", action="store_true", help="the JSON report's schema instead")
    sc.add_argument("--markdown", action="store_true", help="the configuration reference as a Markdown table")

    c = sub.add_parser("comment", help="post the PR comment and check run from a JSON report (workflow_run)")
    c.add_argument("--report", required=True, help="the JSON report of the scan (an artifact of the scan workflow)")
    c.add_argument("--pr", type=int, help="pull request number (default: from the workflow_run event)")

    d = sub.add_parser("demo", help="scan the bundled vulnerable example")
    d.add_argument("--fixed", action="store_true")
    return p


def _config_path(args: argparse.Namespace) -> tuple[Path, Path]:
    root = Path(args.target).resolve()
    cfg_path = Path(args.config).resolve() if args.config else root / ".authgate.yml"
    if not root.is_dir():
        raise ConfigError([f"{args.target}: no such directory"])
    if not args.config and not cfg_path.exists() and not cfg_path.is_symlink():
        raise ConfigError([f"{args.target}: no .authgate.yml: `authgate init {args.target}` writes one from the code"])
    return root, cfg_path


def _options(args: argparse.Namespace, use_baseline: bool = True) -> Options:
    from gate.scan import Options

    return Options(
        shard=args.shard,
        threshold=args.threshold,
        fail_on=args.fail_on,
        baseline=Path(args.baseline).resolve() if args.baseline else None,
        use_baseline=use_baseline,
    )


def _outputs(args: argparse.Namespace, output: str) -> list[tuple[str, str]]:
    """Every requested output: (format, path)."""
    out = [(args.format, output)]
    if args.sarif:
        out.append(("sarif", args.sarif))
    if args.markdown:
        out.append(("markdown", args.markdown))
    return out


def _write_all(outputs: list[tuple[str, str]], result: ScanResult) -> bool:
    """Every output; False (after one line on stderr) when one cannot be written."""
    try:
        for fmt, path in outputs:
            write(fmt, result, path)
    except OSError as exc:
        print(f"authgate: cannot write the report: {exc}", file=sys.stderr)
        return False
    return True


def cmd_scan(args: argparse.Namespace) -> int:
    console = Console(quiet=args.quiet)
    output = args.output or DEFAULT_OUTPUT[args.format]
    outputs = _outputs(args, output)
    try:
        root, cfg_path = _config_path(args)
    except ConfigError as exc:
        console.config_problems(exc.problems)
        _write_all(outputs, error_result(args.target, "config: " + "; ".join(exc.problems)))
        return EXIT_ERROR
    # Before anything runs, the outputs stop saying what an earlier run decided (issue 12): a scan
    # killed outright leaves "under way" behind; stdout has nothing stale to replace.
    if not _write_all([(f, p) for f, p in outputs if p != "-"], under_way(args.target, config_name(root, cfg_path))):
        return EXIT_ERROR
    interrupted: Interrupted | None = None
    try:
        result = run_scan(root, cfg_path, _options(args, use_baseline=not args.no_baseline), args.target, console)
    except Interrupted as exc:
        if not isinstance(exc.result, ScanResult):
            raise  # interrupted outside the scan: the outputs still say "under way"
        result, interrupted = exc.result, exc
    if not _write_all(outputs, result):
        return EXIT_ERROR
    console.result(result, None if output == "-" else output)  # an incomplete scan lists its reasons there
    return interrupted.exit_code if interrupted else result.verdict.exit_code


def cmd_init(args: argparse.Namespace) -> int:
    from gate.init import InitError, write_config

    try:
        done = write_config(Path(args.target), force=args.force)
    except InitError as exc:
        print(f"authgate: init: {exc}", file=sys.stderr)
        return EXIT_ERROR
    todos = f"; TODO at line {', '.join(map(str, done.todos))}" if done.todos else "; no TODO"
    print(f"authgate: wrote {done.path}: {done.summary}{todos}")
    print(f"authgate: next: authgate scan {args.target}")
    return 0


def cmd_baseline(args: argparse.Namespace) -> int:
    from gate.verdict import baseline

    console = Console(quiet=args.quiet)
    root, cfg_path = _config_path(args)
    result = run_scan(root, cfg_path, _options(args, use_baseline=False), args.target, console)
    if not result.complete:
        console.error("the scan did not complete; no baseline written", result.verdict.reasons)
        return EXIT_ERROR
    path = Path(args.output) if args.output else root / load_config(cfg_path).gate.baseline
    previous = baseline.load(path) if path.exists() else None
    path.write_text(baseline.render(result.findings, previous), encoding="utf-8")
    console.line(f"  wrote {path}: {len(result.findings)} accepted findings (add a reason to each entry)")
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    try:
        result = merge([json_report.load(Path(p)) for p in args.reports])
    except (json_report.ReportError, MergeError) as exc:
        print(f"authgate: merge: {exc}", file=sys.stderr)
        return EXIT_ERROR
    try:
        write(args.format, result, args.output)
    except (OSError, ValueError) as exc:
        print(f"authgate: merge: cannot write {args.output}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    v = result.verdict
    print(
        f"authgate: merged {len(args.reports)} reports: {len(result.findings)} findings, score {v.score} "
        f"({v.grade}), gate score {v.gate_score}: {v.verdict}",
        file=sys.stderr,
    )
    return v.exit_code


def cmd_comment(args: argparse.Namespace) -> int:
    """Post the PR comment and the check run from a JSON report: the `workflow_run` half of the
    fork-safe pattern (README, "Forks"), which never runs the pull request's code."""
    from dataclasses import replace

    from gate.publish import github  # PyGithub: loaded only to publish
    from gate.publish.workflow import InputError, load_event, summary_with_notes, write_summary
    from gate.report import markdown as md
    from gate.report.location import Links

    try:
        result = json_report.load(Path(args.report))
        event = load_event()
    except (json_report.ReportError, InputError) as exc:
        print(f"authgate: comment: {exc}", file=sys.stderr)
        return EXIT_ERROR
    token = os.environ.get("GITHUB_TOKEN", "")
    repository = os.environ.get("GITHUB_REPOSITORY", "") or event.repository
    if not token or not repository:
        print("authgate: comment: set GITHUB_TOKEN and GITHUB_REPOSITORY (as a workflow does)", file=sys.stderr)
        return EXIT_ERROR
    api_url = os.environ.get("GITHUB_API_URL") or github.DEFAULT_API_URL
    pub = github.Publisher(github.connect(token, api_url), repository)
    try:
        pr, head_sha = github.pr_from_workflow_run(event, pub)
    except github.GitHubError as exc:
        print(f"authgate: comment: {exc.message}", file=sys.stderr)
        return 1
    if args.pr:
        pr = args.pr
    links = Links.make(
        os.environ.get("GITHUB_SERVER_URL") or "https://github.com",
        repository,
        head_sha,
        os.environ.get("GITHUB_RUN_ID"),
    )
    markdown = md.render(result, links=links)
    req = github.Request(token=token, api_url=api_url, repository=repository, pr=pr, head_sha=head_sha)
    if pr is None and not head_sha:
        print("authgate: comment: no pull request or commit in this event (use --pr)", file=sys.stderr)
        return EXIT_ERROR
    notes = github.publish(
        result, markdown, req, comment=lambda check_url: md.comment(result, replace(links, check_run=check_url))
    )
    for note in notes:
        print(f"authgate: {note.text}", file=sys.stderr)
    write_summary(summary_with_notes(markdown, notes))
    return 1 if any(n.kind == "warning" for n in notes) else 0


def cmd_schema(args: argparse.Namespace) -> int:
    if args.markdown:
        from gate.config_doc import reference_markdown

        sys.stdout.write(reference_markdown())
    elif args.report:
        sys.stdout.write(json_report.SCHEMA_PATH.read_text(encoding="utf-8"))
    else:
        sys.stdout.write(json.dumps(config_schema(), indent=2, sort_keys=True) + "\n")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    here = Path(__file__).resolve().parent.parent / "examples"
    target = here / ("profiles-fastapi-fixed" if args.fixed else "profiles-fastapi")
    if not target.is_dir():
        print("authgate: demo: the examples/ folder is not installed (run from a checkout)", file=sys.stderr)
        return EXIT_ERROR
    return main(["scan", str(target)])


def main(argv: list[str] | None = None) -> int:
    handle_signals()
    args = _parser().parse_args(argv)
    handlers = {
        "scan": cmd_scan,
        "init": cmd_init,
        "baseline": cmd_baseline,
        "merge": cmd_merge,
        "schema": cmd_schema,
        "comment": cmd_comment,
        "demo": cmd_demo,
    }
    try:
        return handlers[args.command](args)
    except ConfigError as exc:  # one line per problem, naming the key; never a traceback
        for line in exc.problems:
            print(f"authgate: config: {line}", file=sys.stderr)
        return EXIT_ERROR
    except ScanError as exc:
        print(f"authgate: {exc.message}", file=sys.stderr)
        return EXIT_ERROR
    except Interrupted as exc:
        print(f"authgate: interrupted by {exc.name}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # the last line of defence: fail closed with one line
        print(f"authgate: {internal_error(exc)}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
