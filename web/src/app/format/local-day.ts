/** The start of a local day (`yyyy-mm-dd` from a date input) plus `addDays`, as an ISO instant for the API. */
export function localDayStart(date: string, addDays: number): string {
  const [year, month, day] = date.split('-').map(Number);
  return new Date(year, month - 1, day + addDays).toISOString();
}
