/** Small DOM builders for the webviews: text is always set as text, never parsed as HTML. */

/** An element with attributes and children (strings become text nodes). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

/** A custom element (`vscode-button`, ...), typed loosely. */
export function custom<T extends HTMLElement = HTMLElement>(tag: string, attrs: Record<string, string> = {}, ...children: Array<Node | string>): T {
  return el(tag as keyof HTMLElementTagNameMap, attrs, ...children) as unknown as T;
}

export const $ = <T extends HTMLElement = HTMLElement>(sel: string, root: ParentNode = document): T => root.querySelector(sel) as T;

/** "14:03:07" today, else the date too. */
export function clock(ms: number): string {
  const d = new Date(ms);
  return new Date().toDateString() === d.toDateString() ? d.toLocaleTimeString() : d.toLocaleString();
}
