/** Material the synthetic generator composes prompts and responses from. Plain data, no logic. */
export const TOPICS = [
  'how photosynthesis turns light into chemical energy',
  'why the sky looks blue during the day',
  'the difference between a process and a thread',
  'how vaccines train the immune system',
  'what a hash table is and when to use one',
  'how compound interest grows savings',
  'why bread dough needs to rest',
  'how a binary search works',
  'the causes of the French Revolution',
  'how to write a polite follow-up email',
  'what makes a good unit test',
  'how tides are caused by the moon',
  'the trade-offs of SQLite versus PostgreSQL',
  'how to plan a week of vegetarian dinners',
  'why leaves change colour in autumn',
  'how public-key cryptography works',
  'what gradient descent does',
  'how to apologise after missing a deadline',
  'how a bill becomes law in a parliament',
  'how to keep houseplants alive in winter',
  'what the Bradley–Terry model estimates',
  'how noise-cancelling headphones work',
  'how to read a nutrition label',
  'what a recursion base case is for',
];

export const ASKS = [
  'Explain {topic}.',
  'Can you explain {topic} to a curious twelve-year-old?',
  'Give me a short, accurate summary of {topic}.',
  'I keep getting confused about {topic}. Help?',
  'Write a clear explanation of {topic}, with an example.',
];

export const OPENERS_GOOD = [
  'Here is a clear way to think about {topic}.',
  'Short answer first, then the details.',
  'Good question: {topic} comes down to a few ideas.',
];
export const OPENERS_WEAK = ['Sure.', 'Okay, so basically it is complicated.', 'Well, {topic} is a thing people ask about a lot.'];

export const BODY_GOOD = [
  'The key idea is that each step builds on the one before it, so the order matters.',
  'A concrete example makes it easier: imagine doing it by hand with small numbers first.',
  'The common mistake is to skip the edge cases, which is where most of the surprises are.',
  'It helps to separate what is measured from what is inferred.',
  'In practice, start with the simplest version and only add complexity when you need it.',
  'The underlying reason is a balance between two competing effects.',
];
export const BODY_WEAK = [
  'There are many factors involved and it depends.',
  'Some people say one thing and others say another.',
  'It is important to note that this is important.',
  'You can look it up for more information.',
];

export const LIST_GOOD = ['Check the inputs.', 'Work through one example.', 'Compare against the expected result.', 'Write down what you learned.'];

export const CODE_SNIPPET = [
  '```python',
  'def binary_search(xs, target):',
  '    lo, hi = 0, len(xs) - 1',
  '    while lo <= hi:',
  '        mid = (lo + hi) // 2',
  '        if xs[mid] == target:',
  '            return mid',
  '        lo, hi = (mid + 1, hi) if xs[mid] < target else (lo, mid - 1)',
  '    return -1',
  '```',
].join('\n');

export const SYSTEM_PROMPTS = ['You are a helpful assistant.', 'You are a concise, accurate tutor.'];

export const ANNOTATOR_NAMES = ['Ada', 'Grace', 'Alan', 'Katherine', 'Edsger', 'Barbara', 'Donald', 'Frances'];
