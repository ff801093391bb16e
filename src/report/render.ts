import type { Config } from '../config/schema';
import { messageOf, ReportError } from '../errors';
import { archivePath } from './archive';
import type { RenderedReport } from './rendered-report';
import type { ReportData } from './report-data';
import { reportTemplates, type Template } from './templates';
import { trendChartSvg } from './trend-chart';

/** `[imagewarden] TITLE: 412/450 compliant, 7 new non-compliant` */
export function reportSubject(data: ReportData): string {
  return `[imagewarden] ${data.title}: ${data.summary.compliant}/${data.summary.images} compliant, ${data.changes.newlyNonCompliant.length} new non-compliant`;
}

/**
 * The day's report as one self-contained HTML file (inline CSS and SVG, no script, nothing
 * fetched), and the mail's HTML and text bodies. Every string from the store goes through the
 * templates' escaping; the chart is the one piece inserted raw, and its builder escapes its text.
 */
export function renderReport(data: ReportData, config: Config): RenderedReport {
  const templates = reportTemplates();
  const subject = reportSubject(data);
  const view = {
    ...data,
    subject,
    chart: trendChartSvg(data.trend, `${data.title}: images by verdict, ${data.trend[0]?.day ?? data.day} to ${data.day}`),
    annotationChanges: data.annotations.set.length + data.annotations.cleared.length + data.annotations.updated.length > 0,
  };
  return {
    day: data.day,
    subject,
    html: apply(templates.report, view, 'report.html.hbs'),
    emailHtml: apply(templates.emailHtml, view, 'email.html.hbs'),
    text: apply(templates.emailText, view, 'email.txt.hbs'),
    path: archivePath(config.report.directory, data.day),
  };
}

function apply(template: Template, view: object, file: string): string {
  try {
    return template(view);
  } catch (e) {
    throw new ReportError(`template ${file} cannot render the report: ${messageOf(e)}`, { file: `templates/${file}` }, { cause: e });
  }
}
