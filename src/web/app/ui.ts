/** Small shared pieces: loading, errors in words, empty states, tables, charts. */
import { h, type ComponentChildren } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import { inWords } from "./api";
import { utcTick, when } from "./format";

export interface Loaded<T> {
  data?: T;
  error?: unknown;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` when `key` changes (and on reload); keeps the last answer while reloading. */
export function useLoad<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error) => live && setState({ error, loading: false }),
    );
    return () => void (live = false);
  }, [key, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

export function ErrorNote({ error }: { error: unknown }) {
  const e = inWords(error);
  return h("p", { class: "error", role: "alert" }, h("strong", null, e.code), " — ", e.message);
}

export const Empty = ({ children }: { children: ComponentChildren }) => h("p", { class: "empty" }, children);

/** A loaded thing: a spinner line, the error in words, or `show(data)`. */
export function Show<T>({ it, show, what }: { it: Loaded<T>; show: (data: T) => ComponentChildren; what: string }) {
  if (it.error) return ErrorNote({ error: it.error });
  if (it.data === undefined) return h("p", { class: "loading", "aria-live": "polite" }, `Loading ${what}…`);
  return h("div", null, show(it.data));
}

/** A table that scrolls sideways on narrow screens (a focusable, labelled region, so keyboards can scroll it). */
export function Table({ caption, head, rows, id }: { caption: string; head: string[]; rows: ComponentChildren[][]; id?: string }) {
  return h(
    "div",
    { class: "table-wrap", role: "region", "aria-label": caption, tabIndex: 0 },
    // On narrow screens each row stacks into a card, each cell labelled by its column (data-label, CSS).
    h("table", { id, class: "stack" }, h("caption", null, caption), h("thead", null, h("tr", null, head.map((c) => h("th", { scope: "col" }, c)))), h("tbody", null, rows.map((r) => h("tr", null, r.map((c, i) => h("td", { "data-label": head[i] }, c)))))),
  );
}

export const Section = ({ title, children, id }: { title: string; children: ComponentChildren; id?: string }) => h("section", { class: "card", "aria-labelledby": id ? `${id}-h` : undefined }, h("h2", { id: id ? `${id}-h` : undefined }, title), children);

const COLOURS = ["#1f5fa8", "#b3401b", "#2e7d32", "#6a1b9a", "#8d6e00", "#00695c"];

export interface Series {
  label: string;
  /** [x (Unix seconds), y] */
  points: [number, number][];
}

/**
 * A line chart (uPlot, canvas). Canvas says nothing to a screen reader, so the figure is labelled
 * and the caller shows the same numbers in a table.
 */
export function LineChart({ title, series, yLabel, yFormat, yRange }: { title: string; series: Series[]; yLabel: string; yFormat: (v: number) => string; yRange?: [number, number] }) {
  const box = useRef<HTMLDivElement>(null);
  const moments = new Set(series.flatMap((s) => s.points.map((p) => p[0]))).size;
  useEffect(() => {
    const el = box.current;
    if (!el || moments < 2) return;
    const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
    const data = [xs, ...series.map((s) => xs.map((x) => s.points.find((p) => p[0] === x)?.[1] ?? null))] as uPlot.AlignedData;
    const width = Math.max(280, Math.min(el.clientWidth || 600, 900));
    const span = xs[xs.length - 1] - xs[0];
    const plot = new uPlot(
      {
        width,
        height: 220,
        scales: { x: { time: true }, ...(yRange ? { y: { range: yRange } } : {}) },
        // Chain times in UTC, 24-hour (uPlot's default is the browser's zone on a 12-hour clock).
        axes: [{ label: "UTC", values: (_u, ticks) => ticks.map((t) => utcTick(t, span)) }, { label: yLabel, values: (_u, vals) => vals.map((v) => yFormat(v)) }],
        series: [{ label: "Time", value: (_u: uPlot, v: number | null) => (v === null ? "–" : when(v)) }, ...series.map((s, i) => ({ label: s.label, stroke: COLOURS[i % COLOURS.length], width: 2, points: { show: true, size: 6 }, spanGaps: true, value: (_u: uPlot, v: number | null) => (v === null ? "–" : yFormat(v)) }))],
        legend: { show: true },
      },
      data,
      el,
    );
    // The plot on its element, so a test reads the data it drew and the tick labels it wrote (canvas shows neither to the DOM).
    (el as HTMLDivElement & { uplot?: uPlot }).uplot = plot;
    return () => plot.destroy();
  }, [JSON.stringify(series)]);
  // One moment is a number, not a line: the table beside it says it.
  if (moments < 2) return h("figure", { class: "chart" }, h("figcaption", null, title), h("p", { class: "muted" }, "All these figures are from one moment; a line needs receipts from several times."));
  return h("figure", { class: "chart" }, h("figcaption", null, title), h("div", { ref: box, role: "img", "aria-label": `${title} (chart; the same figures are in the table below)` }));
}
