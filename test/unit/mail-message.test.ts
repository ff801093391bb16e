import { attachmentName, buildReportMessage, recipientsKey, reportMessageId, type EmailConfig } from '../../src/report/mail-message';

const email: EmailConfig = {
  smtp: { host: 'mail.example.test', port: 587, secure: false, starttls: true },
  from: 'imagewarden <imagewarden@reports.example.test>',
  to: ['b@example.test', 'a@example.test'],
  cc: [],
  attempts: 5,
};

describe('recipientsKey', () => {
  it('is the same for the same people in another order or with stray spaces', () => {
    expect(recipientsKey({ to: ['b@x.test', 'a@x.test'], cc: ['c@x.test'] })).toBe(recipientsKey({ to: [' a@x.test', 'b@x.test'], cc: ['c@x.test '] }));
  });

  it('differs when someone is added, or moves between to and cc', () => {
    const base = recipientsKey({ to: ['a@x.test'], cc: ['c@x.test'] });
    expect(recipientsKey({ to: ['a@x.test', 'd@x.test'], cc: ['c@x.test'] })).not.toBe(base);
    expect(recipientsKey({ to: ['a@x.test', 'c@x.test'], cc: [] })).not.toBe(base);
  });
});

describe('reportMessageId', () => {
  const recipients = recipientsKey(email);

  it('is stable for a day and its recipients, on the sender domain', () => {
    const id = reportMessageId('2026-05-01', recipients, email.from);
    expect(id).toBe(reportMessageId('2026-05-01', recipientsKey({ to: ['a@example.test', 'b@example.test'], cc: [] }), email.from));
    expect(id).toMatch(/^<imagewarden-report-2026-05-01-[0-9a-f]{24}@reports\.example\.test>$/);
  });

  it('changes with the day and with the recipients', () => {
    const id = reportMessageId('2026-05-01', recipients, email.from);
    expect(reportMessageId('2026-05-02', recipients, email.from)).not.toBe(id);
    expect(reportMessageId('2026-05-01', recipientsKey({ to: ['a@example.test'], cc: [] }), email.from)).not.toBe(id);
  });

  it('falls back to a reserved domain when the sender has none', () => {
    expect(reportMessageId('2026-05-01', recipients, 'imagewarden')).toMatch(/@imagewarden\.invalid>$/);
  });
});

describe('buildReportMessage', () => {
  it('carries the summary bodies, the recipients and the full report as an HTML attachment', () => {
    const message = buildReportMessage(
      { ...email, cc: ['audit@example.test'] },
      { day: '2026-05-01', subject: 'S', html: '<p>summary</p>', text: 'summary', reportHtml: '<html>full</html>' },
      '<id@x>',
    );
    expect(message).toMatchObject({
      from: email.from,
      to: email.to,
      cc: ['audit@example.test'],
      subject: 'S',
      messageId: '<id@x>',
      html: '<p>summary</p>',
      text: 'summary',
      attachments: [{ filename: 'imagewarden-2026-05-01.html', content: '<html>full</html>', contentType: 'text/html; charset=utf-8' }],
    });
  });

  it('leaves out an empty cc list', () => {
    const message = buildReportMessage(email, { day: 'd', subject: 's', html: 'h', text: 't', reportHtml: 'r' }, '<id@x>');
    expect(message.cc).toBeUndefined();
    expect(attachmentName('2026-05-01')).toBe('imagewarden-2026-05-01.html');
  });
});
