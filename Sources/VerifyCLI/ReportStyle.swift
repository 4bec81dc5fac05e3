/// The report page's style sheet, inline. Legible from 390 px (a phone) to 1280 px and more:
/// one column, a seven-column calendar, charts that scale with their box. Colours only
/// repeat what the symbols and words say.
enum ReportStyle {
    static let css = """
        :root{--pass:#1b7f3b;--fail:#b3261e;--error:#a15c00;--stale:#6b4fa0;--none:#8a8a8a;--ink:#1d1d1f;--line:#d0d0d5}
        *{box-sizing:border-box}
        body{margin:0;padding:16px;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--ink);background:#fafafa}
        header,main,footer{max-width:1100px;margin:0 auto}
        h1{font-size:1.5em;margin:0 0 4px}
        h2{font-size:1.25em;margin:0 0 4px;overflow-wrap:anywhere}
        h3{font-size:1.05em;margin:18px 0 6px}
        .meta,.path{color:#555;margin:2px 0;overflow-wrap:anywhere}
        .reason{margin:6px 0;overflow-wrap:anywhere}
        .summary{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:8px}
        .summary a{color:inherit;text-decoration:none}
        .destination{background:#fff;border:1px solid var(--line);border-radius:8px;padding:14px;margin:16px 0}
        .badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-weight:600;font-size:.85em;white-space:nowrap}
        .st-ok{background:var(--pass)}.st-failing{background:var(--fail)}.st-stale{background:var(--stale)}
        .st-unavailable{background:var(--error)}.st-pending{background:var(--none)}
        .calendar{display:grid;grid-template-columns:repeat(7,minmax(0,1fr));gap:4px;max-width:560px;padding:0;margin:0;list-style:none}
        .calendar .wd{font-size:.75em;color:#555;text-align:center}
        .day{border:1px solid var(--line);border-radius:6px;padding:2px 0;text-align:center;min-height:52px;font-size:.8em;background:#fff}
        .day .n{display:block;color:#555}.day .s{display:block;font-size:1.2em;line-height:1.1}.day .w{display:block;font-size:.8em}
        .day-pass{border-color:var(--pass);color:var(--pass)}.day-fail{background:var(--fail);color:#fff;border-color:var(--fail)}
        .day-fail .n{color:#fff}.day-error{border-color:var(--error);color:var(--error);border-width:2px}
        .day-stale{border-color:var(--stale);color:var(--stale);border-style:dashed}.day-no_run{color:var(--none)}
        .day-not_in_report{color:var(--none);border-style:dotted;background:#f0f0f3}
        .day-key{display:inline-block;margin-right:10px;padding:0 4px;border-radius:4px;white-space:nowrap}
        .legend{font-size:.85em;margin:4px 0 8px}
        .note{font-size:.85em;color:#555}
        figure{margin:8px 0 14px}figcaption{font-weight:600;overflow-wrap:anywhere}
        svg.chart{width:100%;max-width:600px;height:auto;display:block;border-bottom:1px solid var(--line)}
        .chart .bar{fill:#5b7db1}.chart .shrunk{fill:var(--fail)}.chart text{font:15px sans-serif;fill:#333}
        .chart .line{fill:none;stroke:#222;stroke-width:1.5}
        table{border-collapse:collapse;font-size:.9em;max-width:100%}
        td,th{border-bottom:1px solid var(--line);padding:3px 8px 3px 0;text-align:left;vertical-align:top}
        td.name{overflow-wrap:anywhere}td.num,td.date{white-space:nowrap}
        td.num,th.num{text-align:right}
        .warn{color:var(--fail);font-weight:600}
        .meter{height:14px;max-width:560px;background:#e6e6ea;border-radius:7px;overflow:hidden;border:1px solid var(--line)}
        .meter span{display:block;height:100%;background:var(--pass)}
        .facts{padding-left:20px;margin:6px 0}
        .failures{list-style:none;padding:0}
        .failures>li{border-left:4px solid var(--fail);padding:4px 10px;margin:8px 0;background:#fff7f6;overflow-wrap:anywhere}
        .failures ul{margin:4px 0;padding-left:18px}
        code{font:13px/1.3 ui-monospace,"DejaVu Sans Mono",monospace;background:#f0f0f3;padding:1px 4px;border-radius:4px;overflow-wrap:anywhere}
        footer{font-size:.85em;color:#555}
        @media (max-width:480px){body{padding:8px;font-size:14px}.destination{padding:10px}.day{min-height:46px}.date{display:none}}
        """
}
