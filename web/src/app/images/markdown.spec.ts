import { renderMarkdown } from './markdown';

describe('renderMarkdown', () => {
  it('renders headings, lists and emphasis', () => {
    expect(renderMarkdown('## 3.1\n\n- **newer** libc6')).toBe(
      '<h2>3.1</h2>\n<ul>\n<li><strong>newer</strong> libc6</li>\n</ul>\n',
    );
  });

  it('shows raw HTML as text instead of passing it through', () => {
    const html = renderMarkdown('<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('refuses script links', () => {
    expect(renderMarkdown('[click](javascript:alert(1))')).not.toContain('href');
  });
});
