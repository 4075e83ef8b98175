// "Did you mean" suggestions for unknown names: the closest known names by edit distance,
// close enough to be a plausible typo.

function editDistance(left: string, right: string): number {
  const previous = Array.from({ length: right.length + 1 }, (_, index) => index);
  for (let i = 1; i <= left.length; i++) {
    let diagonal = previous[0] ?? 0;
    previous[0] = i;
    for (let j = 1; j <= right.length; j++) {
      const above = previous[j] ?? 0;
      const cost = left[i - 1]?.toLowerCase() === right[j - 1]?.toLowerCase() ? 0 : 1;
      previous[j] = Math.min(above + 1, (previous[j - 1] ?? 0) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return previous[right.length] ?? 0;
}

/** Up to three candidates within a distance of a third of the name's length (at least 1), best first. */
export function suggestNames(unknown: string, candidates: Iterable<string>): readonly string[] {
  const limit = Math.max(1, Math.floor(unknown.length / 3));
  const scored: { readonly name: string; readonly distance: number }[] = [];
  for (const name of new Set(candidates)) {
    if (name === unknown) continue;
    const distance = editDistance(unknown, name);
    if (distance <= limit) scored.push({ name, distance });
  }
  scored.sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name));
  return scored.slice(0, 3).map((entry) => entry.name);
}

/** ` (did you mean 'x'?)` or ` (did you mean 'x' or 'y'?)`, or nothing. */
export function didYouMean(unknown: string, candidates: Iterable<string>): string {
  const suggestions = suggestNames(unknown, candidates);
  if (suggestions.length === 0) return "";
  return ` (did you mean ${suggestions.map((name) => `'${name}'`).join(" or ")}?)`;
}
