type Props = { notes: string };

// Agents format their notes with a little HTML.
export function CallNotes({ notes }: Props) {
  return <div className="call-notes" dangerouslySetInnerHTML={{ __html: notes }} />;
}
