// LiveChart.tsx — a small time-series chart (uPlot) that redraws when new
// points arrive; the screen keeps the points.
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export function LiveChart({ title, unit, times, values }: { title: string; unit: string; times: number[]; values: number[] }) {
  const holder = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);

  useEffect(() => {
    if (!holder.current) return;
    const width = Math.max(240, holder.current.clientWidth);
    chart.current = new uPlot(
      {
        width,
        height: 140,
        legend: { show: false },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.2)] } },
        axes: [{ stroke: "#555" }, { stroke: "#555", size: 50, values: (_u, ticks) => ticks.map((tick) => `${+tick.toFixed(2)}`) }],
        series: [{}, { label: title, stroke: "#1f6fb2", width: 2, fill: "rgba(31,111,178,0.12)" }],
      },
      [[], []],
      holder.current,
    );
    const resize = () => holder.current && chart.current?.setSize({ width: Math.max(240, holder.current.clientWidth), height: 140 });
    window.addEventListener("resize", resize);
    return () => {
      window.removeEventListener("resize", resize);
      chart.current?.destroy();
      chart.current = null;
    };
  }, [title]);

  useEffect(() => {
    chart.current?.setData([times, values]);
  }, [times, values]);

  const last = values.length ? values[values.length - 1] : null;
  return (
    <figure className="chart" aria-label={`${title}: ${last === null ? "no data yet" : `${last.toFixed(2)} ${unit}`}`}>
      <figcaption>
        {title}: <strong data-testid={`metric-${title}`}>{last === null ? "…" : `${last.toFixed(last < 10 ? 2 : 0)} ${unit}`}</strong>
      </figcaption>
      <div ref={holder} />
    </figure>
  );
}
