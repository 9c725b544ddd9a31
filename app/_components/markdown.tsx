'use client';

import ReactMarkdown from 'react-markdown';
import rehypeHighlight from 'rehype-highlight';
import rehypeSanitize from 'rehype-sanitize';
import remarkGfm from 'remark-gfm';
import { cn } from './ui';

type MdNode = { type: string; value?: string; children?: MdNode[] };

/** remark plugin: raw HTML in the markdown becomes literal text, so `<script>` is shown, never run or dropped. */
function htmlAsText() {
  const visit = (node: MdNode) => {
    if (node.type === 'html') node.type = 'text';
    node.children?.forEach(visit);
  };
  return (tree: MdNode) => visit(tree);
}

/**
 * Untrusted markdown (prompts, responses, guidelines) rendered inert: raw HTML is shown as literal
 * text (htmlAsText; nothing is parsed as HTML), react-markdown's URL transform blanks javascript:
 * and other unsafe URLs and such a link renders as plain text, images become a text placeholder
 * (no fetches), and rehype-sanitize strips anything outside GitHub's allow-list. Code is
 * highlighted after sanitising, so only highlight.js's own class names are added.
 */
export function Markdown({ children, className }: { children: string; className?: string }) {
  return (
    <div className={cn('markdown text-sm leading-relaxed text-slate-800', className)}>
      <ReactMarkdown
        remarkPlugins={[remarkGfm, htmlAsText]}
        rehypePlugins={[rehypeSanitize, [rehypeHighlight, { detect: false }]]}
        components={{
          a: ({ href, children: text }) =>
            href ? (
              <a href={href} target="_blank" rel="noopener noreferrer nofollow" className="text-indigo-700 underline">
                {text}
              </a>
            ) : (
              <span data-inert-link="">{text}</span>
            ),
          img: ({ alt }) => <span className="text-slate-500">[image: {alt || 'no description'}]</span>,
        }}
      >
        {children}
      </ReactMarkdown>
    </div>
  );
}
