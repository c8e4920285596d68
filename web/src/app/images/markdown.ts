import MarkdownIt from 'markdown-it';

/**
 * Release notes are written by maintainers and read by everyone: raw HTML is off, so a `<script>`
 * or an `onerror=` in the notes is shown as text, and markdown-it refuses javascript: and data:
 * links. Angular sanitises the result once more where it is bound to [innerHTML].
 */
const markdown = new MarkdownIt({ html: false, linkify: false, typographer: false });

export function renderMarkdown(text: string): string {
  return markdown.render(text);
}
