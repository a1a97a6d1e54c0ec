/** A byte count in binary units (KiB, MiB, …) for messages and reports; below 1 KiB, null. */
export function binaryUnits(bytes: number): { value: number; unit: string } | null {
  if (bytes < 1024) return null;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return { value, unit: units[unit]! };
}
