// The original's Attendance/utils.py calculate_distance: haversine on a sphere of radius 6 371 000 m.

const EARTH_RADIUS_M = 6371000;

// math.radians(x) is x * (pi / 180) in CPython.
const DEG_TO_RAD = Math.PI / 180;
const rad = (deg: number) => deg * DEG_TO_RAD;

/** Great-circle distance in metres, computed in the same order of operations as the original. */
export function haversineMeters(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const dLat = rad(lat2 - lat1);
  const dLon = rad(lon2 - lon1);
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(dLon / 2) ** 2;
  const c = 2 * Math.atan2(Math.sqrt(a), Math.sqrt(1 - a));
  return EARTH_RADIUS_M * c;
}

/** Python's f"{x:.2f}" (round half to even on the exact binary value; toFixed rounds ties up). */
export function pyFixed2(x: number): string {
  const scaled = x * 100;
  if (Number.isInteger(x * 8) && Math.abs(scaled - Math.trunc(scaled)) === 0.5) {
    const lo = Math.floor(scaled);
    const even = lo % 2 === 0 ? lo : lo + 1;
    return (even / 100).toFixed(2);
  }
  return x.toFixed(2);
}
