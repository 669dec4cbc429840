/**
 * The rows a virtual list renders: those in view plus `overscan` on each side. A scroll position
 * past the end counts as the end: when the list gets shorter, the position the browser last
 * reported can lie far below the new rows, and the view must show the last of them, not nothing.
 */
export function visibleRange(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  total: number,
  overscan = 8,
): { start: number; end: number } {
  if (total <= 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const bottom = Math.max(0, total * rowHeight - viewportHeight);
  const first = Math.floor(Math.min(Math.max(0, scrollTop), bottom) / rowHeight);
  const count = Math.ceil(Math.max(0, viewportHeight) / rowHeight);
  const start = Math.max(0, first - overscan);
  const end = Math.min(total, first + count + overscan);
  return { start, end: Math.max(start, end) };
}

/** The page numbers (of `pageSize` rows) that hold rows `start` to `end` (exclusive). */
export function pagesFor(start: number, end: number, pageSize: number): number[] {
  if (end <= start) return [];
  const pages: number[] = [];
  for (let p = Math.floor(start / pageSize); p <= Math.floor((end - 1) / pageSize); p++) pages.push(p);
  return pages;
}
