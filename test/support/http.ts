/** GET a URL and parse its JSON body, loosely typed for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function getJson(url: URL | string): Promise<any> {
  const response = await fetch(url);
  return response.json();
}
