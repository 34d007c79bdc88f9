#!/usr/bin/env python3
"""perf/serve_report.py RESULTS.jsonl OUTDIR -- summary.md (the issue's ratios) and one throughput-curve SVG per model
from perf/serve-bench.sh's results. Plain SVG text: no plotting library needed."""
import json
import sys


def curve_svg(model, points):
    """tokens/s against concurrency (log2 axis), one polyline with labelled points."""
    w, h, left, bottom, top, right = 560, 340, 70, 50, 30, 20
    xs = [p["concurrency"] for p in points]
    ys = [p["tokens_per_s"] for p in points]
    import math
    lx = [math.log2(x) for x in xs]
    x0, x1 = min(lx), max(lx) if max(lx) > min(lx) else min(lx) + 1
    y1 = max(ys) * 1.1 if ys and max(ys) > 0 else 1

    def px(v):
        return left + (math.log2(v) - x0) / (x1 - x0) * (w - left - right)

    def py(v):
        return h - bottom - v / y1 * (h - bottom - top)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
             f'<rect width="{w}" height="{h}" fill="white"/>',
             f'<text x="{w / 2}" y="18" text-anchor="middle" font-size="14">{model}: mklrnn serve, tokens/s by concurrency</text>',
             f'<line x1="{left}" y1="{h - bottom}" x2="{w - right}" y2="{h - bottom}" stroke="black"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{h - bottom}" stroke="black"/>',
             f'<text x="{w / 2}" y="{h - 12}" text-anchor="middle">concurrent clients</text>',
             f'<text x="16" y="{h / 2}" text-anchor="middle" transform="rotate(-90 16 {h / 2})">tokens/s</text>']
    for i in range(5):
        v = y1 * i / 4
        parts.append(f'<text x="{left - 6}" y="{py(v) + 4:.1f}" text-anchor="end">{v:,.0f}</text>')
        parts.append(f'<line x1="{left}" y1="{py(v):.1f}" x2="{w - right}" y2="{py(v):.1f}" stroke="#ddd"/>')
    for x in xs:
        parts.append(f'<text x="{px(x):.1f}" y="{h - bottom + 16}" text-anchor="middle">{x}</text>')
    parts.append('<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="'
                 + " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(xs, ys)) + '"/>')
    for x, y in zip(xs, ys):
        parts.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="#1f77b4"/>')
    parts.append("</svg>")
    return "\n".join(parts)


def median(values):
    v = sorted(values)
    return (v[(len(v) - 1) // 2] + v[len(v) // 2]) / 2


def pairs(rows, model, first, second):
    """The runs of two setups for a model, paired in the order they ran (the script interleaves them)."""
    a = [r for r in rows if r["model"] == model and r["setup"] == first]
    b = [r for r in rows if r["model"] == model and r["setup"] == second]
    return list(zip(a, b))


def main():
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    out = sys.argv[2]
    lines = ["| model | setup | load | concurrency | requests/s | tokens/s | p50 ms | p99 ms | errors | steps | rows/step | ms/step | in steps |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f'| {r["model"]} | {r["setup"]} | {r.get("load", "")} | {r["concurrency"]} | {r["requests_per_s"]:.2f} '
                     f'| {r["tokens_per_s"]:.0f} | {r["p50_ms"]:.1f} | {r["p99_ms"]:.1f} | {r["errors"]} | {r.get("steps", "")} '
                     f'| {r.get("mean_rows", "")} | {r.get("step_ms", "")} | {r.get("engine_share", "")} |')
    lines.append("")
    for model in dict.fromkeys(r["model"] for r in rows):
        served = pairs(rows, model, "offline", "server max-batch 64")
        alone = pairs(rows, model, "offline concurrency 1", "server max-batch 1")
        if served and alone:
            tps = lambda runs, i: median(p[i]["tokens_per_s"] for p in runs)
            server_offline = median(s["tokens_per_s"] / o["tokens_per_s"] for o, s in served)
            step_ratio = median(s["step_ms"] / o["step_ms"] for o, s in served)
            batch_gain = tps(served, 1) / tps(alone, 1)
            bound = tps(served, 0) / tps(alone, 0)
            p99 = (median(s["p99_ms"] for _, s in served), median(s["p99_ms"] for _, s in alone))
            lines.append(f"- {model} (medians of {len(served)} interleaved pairs): server (max-batch 64) / offline tokens/s = "
                         f"{server_offline:.2f} (server step / offline step = {step_ratio:.2f}, server rows per step "
                         f"{median(s['mean_rows'] for _, s in served):.1f}, in steps {median(s['engine_share'] for _, s in served):.0%} of the run); "
                         f"max-batch 64 / max-batch 1 tokens/s = {batch_gain:.2f} against a GEMM bound of {bound:.2f} "
                         f"(offline concurrency 64 / 1), p99 {p99[0]:.0f} ms vs {p99[1]:.0f} ms")
        points = sorted((r for r in rows if r["model"] == model and r["setup"] == "curve"), key=lambda r: r["concurrency"])
        if points:
            with open(f"{out}/curve-{model}.svg", "w") as f:
                f.write(curve_svg(model, points))
    with open(f"{out}/summary.md", "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
