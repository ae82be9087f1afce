import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  /** Okabe-Ito colours, each series also with its own dash pattern: told apart without colour. */
  color: string;
  dash?: number[];
}

/** A line chart over time (uPlot); `data[0]` is seconds since the epoch, the rest one array per series. */
export function Chart({
  title,
  series,
  data,
  unit,
}: {
  title: string;
  series: Series[];
  data: number[][];
  unit?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const key = series.map((s) => s.label).join('|');
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = () => Math.max(240, el.clientWidth);
    const u = new uPlot(
      {
        width: width(),
        height: 180,
        series: [
          {},
          ...series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 2,
            ...(s.dash ? { dash: s.dash } : {}),
            value: (_: uPlot, v: number | null) => (v === null ? '—' : `${Math.round(v * 100) / 100}${unit ?? ''}`),
          })),
        ],
        axes: [{}, { size: 50 }],
        scales: { x: { time: true } },
        legend: { live: false },
      },
      data as uPlot.AlignedData,
      el,
    );
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: width(), height: 180 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = undefined;
    };
  }, [key]);
  useEffect(() => {
    plot.current?.setData(data as uPlot.AlignedData);
  }, [data]);
  const last = series.map((s, i) => `${s.label} ${data[i + 1]?.at(-1) ?? '—'}${unit ?? ''}`).join(', ');
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} role="img" aria-label={`${title}: now ${last}`} />
    </figure>
  );
}

export const COLORS = {
  blue: '#0072B2',
  orange: '#E69F00',
  green: '#009E73',
  vermillion: '#D55E00',
  purple: '#CC79A7',
};
