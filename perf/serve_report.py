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


def main():
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    out = sys.argv[2]
    lines = ["| model | setup | concurrency | requests/s | tokens/s | p50 ms | p99 ms | errors |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f'| {r["model"]} | {r["setup"]} | {r["concurrency"]} | {r["requests_per_s"]:.2f} | {r["tokens_per_s"]:.0f} '
                     f'| {r["p50_ms"]:.1f} | {r["p99_ms"]:.1f} | {r["errors"]} |')
    lines.append("")
    for model in dict.fromkeys(r["model"] for r in rows):
        get = {r["setup"]: r for r in rows if r["model"] == model and r["setup"] != "curve"}
        if {"offline", "server max-batch 64", "server max-batch 1"} <= get.keys():
            b64, b1, off = get["server max-batch 64"], get["server max-batch 1"], get["offline"]
            lines.append(f'- {model}: server (max-batch 64) / offline tokens/s = {b64["tokens_per_s"] / off["tokens_per_s"]:.2f}; '
                         f'max-batch 64 / max-batch 1 tokens/s = {b64["tokens_per_s"] / b1["tokens_per_s"]:.2f}; '
                         f'p99 {b64["p99_ms"]:.0f} ms vs {b1["p99_ms"]:.0f} ms')
        points = sorted((r for r in rows if r["model"] == model and r["setup"] == "curve"), key=lambda r: r["concurrency"])
        if points:
            with open(f"{out}/curve-{model}.svg", "w") as f:
                f.write(curve_svg(model, points))
    with open(f"{out}/summary.md", "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
