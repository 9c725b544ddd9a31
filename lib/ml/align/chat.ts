/**
 * How a conversation becomes policy text: each turn as "User: …" / "Assistant: …" / "System: …",
 * separated by blank lines, ending in "Assistant:"; the completion follows after one space. Pure and
 * tfjs-free, so the export and the UI can show what the policy saw.
 */
export type ChatMessage = { role: string; content: string };

const LABEL: Record<string, string> = { user: 'User', assistant: 'Assistant', system: 'System' };

export function renderPrompt(messages: readonly ChatMessage[]): string {
  return `${messages.map((m) => `${LABEL[m.role] ?? m.role}: ${m.content}`).join('\n\n')}\n\nAssistant:`;
}

export const renderCompletion = (response: string) => ` ${response}`;

/** The analytic KL(π_BoN ‖ π) of best-of-n sampling: log n − (n − 1)/n (Stiennon et al. 2020; Coste et al. 2023). */
export const bestOfNKl = (n: number) => Math.log(n) - (n - 1) / n;
