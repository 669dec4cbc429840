const regions = new Intl.DisplayNames(["en"], { type: "region" });

/** "United Kingdom" for "GB"; the code itself when it is not a region this runtime knows. */
export function regionName(code: string): string {
  try {
    return regions.of(code) ?? code;
  } catch {
    return code;
  }
}

/**
 * A phone as reports show it. When it had no country code and was read as a number of the
 * default region, that is said: a wrong guess makes it someone else's number.
 */
export function phoneText(phone: string | null, assumedRegion: string | null): string {
  if (!phone) return "—";
  return assumedRegion ? `${phone} · assumed ${regionName(assumedRegion)}, from the default region` : phone;
}
