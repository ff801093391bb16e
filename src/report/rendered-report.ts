/** A day's report as rendered: what the archive keeps and the mail sends. */
export interface RenderedReport {
  /** YYYY-MM-DD in the configured time zone. */
  day: string;
  /** `[imagewarden] prod: 412/450 compliant, 7 new non-compliant` */
  subject: string;
  /** The full self-contained report, attached to the mail and archived. */
  html: string;
  /** The mail's HTML body: the summary and the changes. */
  emailHtml: string;
  /** The mail's plain-text part. */
  text: string;
  /** Where the full report was archived. */
  path: string;
}
