import DOMPurify from "dompurify";

type Props = { notes: string };

// Agents format their notes with a little HTML: sanitized right where it is rendered.
export function CallNotes({ notes }: Props) {
  return (
    <div className="call-notes" dangerouslySetInnerHTML={{ __html: DOMPurify.sanitize(notes) }} />
  );
}
