// The HTTP-participant definition of the bench: five steps, each a POST to one participant.

/** `http5`: 5 steps (with compensations), each a signed POST to the participant at `url`. */
export function http5Definition(url: string) {
  const step = (name: string) => ({
    name,
    participant: 'svc',
    action: 'do',
    compensation: 'undo',
  });
  return {
    name: 'http5',
    description: 'Five HTTP steps against a no-op participant.',
    participants: { svc: { url } },
    steps: ['s1', 's2', 's3', 's4', 's5'].map(step),
  };
}
