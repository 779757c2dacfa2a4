// axe-core in the page (from the npm registry): the serious and critical accessibility problems of
// what the page shows now. Specs that use it say `test.use({ bypassCSP: true })`: the server's
// Content-Security-Policy allows only its own scripts.
import { createRequire } from 'node:module';

const axeScript = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

// The page's serious and critical axe violations, each with the first elements it names.
export async function seriousProblems(page) {
  await page.waitForSelector('html[data-hydrated]');
  await page.waitForLoadState('networkidle');
  await page.addScriptTag({ path: axeScript });
  const violations = await page.evaluate(async () => (await axe.run(document, { resultTypes: ['violations'] })).violations);
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}
