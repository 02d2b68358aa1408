import Foundation
import WhistleCore

/// A line chart of rates by month as inline SVG (no script, no library): one line per rate, a
/// point per month that counted something, the months along the bottom, 0–100 % up the side.
enum RateChart {
    static let colors: [FigureRate.Kind: String] = [
        .rectification: "#c62828", .response: "#1565c0", .onTimeRectification: "#ef6c00", .satisfaction: "#2e7d32", .closure: "#6a1b9a",
        .taskRectification: "#00838f",
    ]

    static let fallback = "rgb(51,51,51)"

    /// `2026-11` as `11月`; January with its year (`2027年1月`), where a year begins.
    static func label(_ key: String) -> String {
        let parts = key.split(separator: "-")
        guard parts.count == 2, let month = Int(parts[1]) else { return key }
        return month == 1 ? "\(parts[0])年1月" : "\(month)月"
    }

    /// The chart of `kinds` over `months` (groups keyed `YYYY-MM`, oldest first).
    static func svg(_ months: [FigureGroup], kinds: [FigureRate.Kind]) -> String {
        let (width, height, left, right, top, bottom) = (640.0, 260.0, 44.0, 12.0, 12.0, 40.0)
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        let step = months.count > 1 ? plotWidth / Double(months.count - 1) : 0
        func x(_ index: Int) -> Double { left + (months.count > 1 ? Double(index) * step : plotWidth / 2) }
        func y(_ value: Double) -> Double { top + (1 - value) * plotHeight }
        func number(_ value: Double) -> String { String(format: "%.1f", value) }
        var svg = #"<svg class="chart" viewBox="0 0 \#(Int(width)) \#(Int(height))" width="100%" role="img" aria-label="各月比率趋势" xmlns="http://www.w3.org/2000/svg">"#
        for percent in stride(from: 0, through: 100, by: 25) {
            let at = number(y(Double(percent) / 100))
            svg += #"<line x1="\#(number(left))" x2="\#(number(width - right))" y1="\#(at)" y2="\#(at)" stroke="rgb(221,221,221)"/>"#
            svg += #"<text x="\#(number(left - 4))" y="\#(at)" font-size="11" text-anchor="end" dominant-baseline="middle" fill="rgb(102,102,102)">\#(percent)%</text>"#
        }
        for (index, month) in months.enumerated() {
            svg += #"<text x="\#(number(x(index)))" y="\#(number(height - bottom + 16))" font-size="11" text-anchor="middle" fill="rgb(102,102,102)">\#(HTML.escape(label(month.key)))</text>"#
        }
        for kind in kinds {
            let color = colors[kind] ?? fallback
            let points = months.enumerated().compactMap { index, month in month.counts.rate(kind).value.map { (x(index), y($0), month, $0) } }
            if points.count > 1 {
                svg += #"<polyline fill="none" stroke="\#(color)" stroke-width="2" points="\#(points.map { "\(number($0.0)),\(number($0.1))" }.joined(separator: " "))"/>"#
            }
            for point in points {
                let rate = point.2.counts.rate(kind)
                svg += #"<circle cx="\#(number(point.0))" cy="\#(number(point.1))" r="3" fill="\#(color)"><title>\#(HTML.escape("\(point.2.key) \(kind.title) \(rate.percent)（\(rate.numerator)/\(rate.denominator)）"))</title></circle>"#
            }
        }
        for (index, kind) in kinds.enumerated() {
            let at = number(left + Double(index) * 110)
            svg += #"<rect x="\#(at)" y="\#(number(height - 14))" width="10" height="10" fill="\#(colors[kind] ?? fallback)"/>"#
            svg += #"<text x="\#(number(left + Double(index) * 110 + 14))" y="\#(number(height - 5))" font-size="12">\#(HTML.escape(kind.title))</text>"#
        }
        return svg + "</svg>"
    }
}
