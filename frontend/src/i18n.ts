// Language choice and the UI strings in English and Bahasa Indonesia. Dates
// and numbers go through Intl in the chosen locale and the reader's time zone.

import type { EndReason } from './api';

export type Lang = 'en' | 'id';
const KEY = 'lapor.lang';

const en = {
  tagline: 'Is it down? Reports from people, compared with what is normal.',
  nav_home: 'Services',
  nav_incidents: 'Incidents',
  language: 'Language',
  skip: 'Skip to content',
  status_ok: 'No problems',
  status_elevated: 'Reports above normal',
  elevated_text: (reports: string, expected: string, minutes: number): string =>
    `No incident is open, but ${reports} people reported a problem in the last ${minutes} minutes, where about ${expected} were expected.`,
  status_possible: 'Possible problems',
  status_detected: 'Problems detected',
  search: 'Search services',
  search_hint: 'Name or alias, e.g. wa',
  search_enter: 'Press Enter to open the first match.',
  category: 'Category',
  country: 'Country',
  all: 'All',
  worldwide: 'Worldwide',
  services_count: (n: number) => `${n} services`,
  no_match: 'No service matches these filters.',
  last_hour: (n: string) => `${n} reports in the last hour`,
  spark_label: (name: string, total: string) => `${name}: ${total} reports in the last 24 hours, hourly`,
  loading: 'Loading…',
  load_error: 'Could not load the data. Retrying…',
  problem_with: (name: string) => `I have a problem with ${name}`,
  pick_symptom: 'What is not working?',
  cancel: 'Cancel',
  sending: 'Sending your report…',
  thanks: 'Thank you, your report was counted.',
  already: 'You already reported this recently; your report was already counted.',
  already_until: (when: string) =>
    `You already reported this recently; your report was already counted. You can report again at ${when}.`,
  networkCounted: 'Many people on your network have reported this in the last few minutes; their reports already count for yours.',
  rate_limited: (when: string) => `Too many reports from your connection. Please try again ${when}.`,
  unavailable: (when: string) => `Lapor is busy right now. Please try again ${when}.`,
  invalid: (msg: string) => `The report was refused: ${msg}`,
  unknown_service: 'This service is not in our list.',
  network_error: 'Could not reach Lapor. Check your connection and try again.',
  // Comments with reports, and "Is it just me?" after reporting (issue 13, New).
  comment_label: 'Add a comment (optional)',
  comment_help: 'Write it before you choose what is not working. Everyone can read it: leave out names, numbers and addresses.',
  comment_left: (n: number) => (n === 1 ? '1 character left' : `${n} characters left`),
  comment_sent: 'Your comment will appear under “Latest comments” in a few seconds.',
  comment_not_posted: 'Your comment was not posted: each connection can comment on a service once every 15 minutes.',
  not_alone: (n: string, name: string) => `You're not alone: ${n} people reported problems with ${name} in the last 15 minutes.`,
  not_alone_from: (n: string, name: string, m: string, country: string) =>
    `You're not alone: ${n} people reported problems with ${name} in the last 15 minutes, ${m} from ${country}.`,
  among_first: (name: string) => `You're among the first to report a problem with ${name} in the last 15 minutes.`,
  comments_title: 'Latest comments',
  comments_note: 'What people wrote with their reports, newest first. Lapor does not check them.',
  comments_none: 'No comments in the last 7 days.',
  comments_error: 'The comments could not be loaded. Lapor will try again shortly.',
  in_seconds: (n: number) => (n <= 1 ? 'in a second' : `in ${n} seconds`),
  in_minutes: (n: number) => (n <= 1 ? 'in a minute' : `in ${n} minutes`),
  at_time: (t: string) => `at ${t}`,
  chart_title: 'Reports in the last 24 hours',
  chart_title_range: 'Reports',
  unit_15m: 'reports per 15 minutes',
  unit_1h: 'reports per hour',
  unit_1d: 'reports per day',
  reports: 'Reports',
  reporters: 'Distinct reporters',
  official_site: 'Official site',
  status_page: 'Official status page',
  reporters_same: 'Each connection counts once per service every 15 minutes, so in 15-minute rows the reports are also the distinct reporters.',
  // The band and line are what the detector judged each bucket against.
  usual: 'Normal range (under the alert threshold)',
  median: 'Expected',
  threshold_possible: 'Alert threshold',
  threshold_detected: 'Outage threshold',
  // The newest bucket, named by its size (the step in seconds).
  latest: (step?: number): string => (step === 86400 ? 'Latest day' : step === 3600 ? 'Latest hour' : 'Latest 15 minutes'),
  // The latest bucket while it fills: "Latest 15 minutes (still filling): 314 so far".
  still_filling: 'still filling',
  so_far: 'so far',
  // A partial last bucket of a past range: the count stops at the range's end.
  until: (time: string) => `until ${time}`,
  times_in: (tz: string) => `Times in your time zone (${tz}).`,
  since: (t: string) => `since ${t}`,
  peak: (n: string, t: string) => `Peak: ${n} reports in one minute at ${t}`,
  most_reported: 'Most reported problems',
  status_now: 'Status now',
  ok_text: 'User reports show no current problems.',
  possible_text: 'Reports are higher than usual.',
  detected_text: 'Many more reports than usual: likely an outage.',
  status_unknown: 'Status unknown',
  status_unknown_text: 'The latest reports could not be loaded, so the status is unknown. Retrying…',
  map_title: 'Where problems are reported',
  map_unit: 'Reports in the last 6 hours, by country',
  map_empty: 'No reports in the last 6 hours.',
  // The map coloured by each country's reports against its usual level (issue 13 item 10).
  map_label: "Map of reports by country, each compared with the country's usual level",
  map_legend: "Reports compared with the country's usual level",
  map_step_upto: (x: string) => `Up to ${x}× usual`,
  map_step_between: (a: string, b: string) => `${a}–${b}× usual`,
  map_step_over: (x: string) => `Over ${x}× usual`,
  map_step_unknown: 'Reports, no usual level known',
  map_step_none: 'No reports',
  map_no_reports: 'no reports',
  map_no_usual: 'no usual level known',
  map_tip_reports: (n: string) => `${n} reports`,
  map_tip_usual: (n: string) => `usual ${n}`,
  map_tip_ratio: (r: string) => `${r} usual`,
  map_usual: (days: number) =>
    `Colours compare each country's reports with its usual level: its average for the same 6 hours on ${days === 1 ? 'the past day' : `each of the past ${days} days`}.`,
  map_usual_none: 'This service has less than a day of history, so no country has a usual level yet.',
  map_usual_col: 'Usual',
  map_ratio_col: '× usual',
  map_not_known: 'not known',
  // The breakdown by problem, shown whatever the status (issue 13 item 9).
  breakdown_caption: 'Reports in the last hour, by problem',
  breakdown_empty: 'No reports in the last hour.',
  breakdown_total: (n: string) => `${n} in total`,
  breakdown_problem: 'Problem',
  breakdown_share: 'Share',
  unknown_country: 'Unknown',
  all_countries: (n: number) => `All ${n} countries as a table`,
  share: 'Share and download',
  stable_link: 'Link to this chart',
  // The stable link ends at the last final bucket, so it shows the same numbers every time.
  frozen_note: (until: string): string => `A fixed range up to ${until}: every bucket in it is final, so the link shows the same numbers every time.`,
  frozen_none: 'No bucket of this range is final yet: the link keeps the range, but its numbers may still change.',
  embed_follow: 'Follow the latest 24 hours',
  embed_freeze: 'Freeze this range',
  may_change: 'may still change',
  copy: 'Copy',
  copied: 'Copied to the clipboard.',
  embed: 'Embed code',
  png: 'Image (PNG)',
  csv: 'Data (CSV)',
  past_incidents: 'Past incidents',
  no_incidents: 'No incidents recorded.',
  start: 'Start',
  end: 'End',
  peak_col: 'Peak (reports per minute)',
  leading: 'Leading problem',
  level: 'Level',
  service: 'Service',
  status: 'Status',
  ongoing: 'Ongoing',
  resolved: 'Resolved',
  ended: 'Ended',
  end_reason: {
    normal: 'Reports back to normal',
    faded: 'Reports well down from the peak',
    new_normal: 'Reports stayed high for hours and are now taken as normal: the problem may not be over',
  } as Record<EndReason, string>,
  open: 'Ongoing',
  not_found: 'Page not found',
  not_found_service: 'We do not know this service.',
  back_home: 'Back to all services',
  incidents_title: 'Recent and ongoing incidents',
  incidents_count: (n: number) => (n === 1 ? '1 incident' : `${n} incidents`),
  duration: 'Duration',
  feeds: 'Follow these incidents as a feed:',
  search_service: 'Search service',
  level_possible: 'Possible problems',
  level_detected: 'Problems detected',
  view_on: 'View on lapor',
  table: 'Table',
  data_table: 'The chart as a table',
  time: 'Time',
  updated: (t: string) => `Updated ${t}`,
  // The service page's range control (issue 13 item 6).
  range: 'Time range',
  range_24h: '24 hours',
  range_48h: '48 hours',
  range_7d: '7 days',
  range_30d: '30 days',
  range_custom: 'Custom',
  range_from: 'From',
  range_to: 'To',
  range_show: 'Show',
  range_hint: (max: string) => `In your time zone. At most ${max}.`,
  range_max: (days: string) => `${days} days (about 5 years)`,
  chart_title_48h: 'Reports in the last 48 hours',
  chart_title_7d: 'Reports in the last 7 days',
  chart_title_30d: 'Reports in the last 30 days',
  range_missing: 'Enter both a start and an end.',
  range_too_large: (max: string) => `This range is too long for the chart. The longest range it can show is ${max}. Choose a shorter range.`,
  range_order: 'The start of the range is after its end. Choose a start before the end.',
  range_bad_date: 'A date in this link is not valid. Choose the dates again.',
  range_refused: (msg: string) => `The chart could not be drawn for this range: ${msg}`,
  // One incident's page (issue 13 item 14) and the links to it.
  incident_of: (name: string) => `${name} incident`,
  incident_details: 'Details of this incident',
  all_incidents: 'All incidents',
  not_found_incident: 'We do not know this incident.',
  peak_label: 'Peak',
  peak_value: (n: string, at: string) => `${n} reports in one minute, at ${at}`,
  incident_chart: 'Reports around this incident',
  incident_chart_range: (from: string, to: string) => `From ${from} to ${to}.`,
  open_range: 'Open this time range on the service page, to share it or download it',
  incident_countries: 'Countries with the most reports',
  no_symptoms: 'No breakdown by problem was recorded.',
  no_countries: 'No country was recorded.',
  // Lengths of time: "45 min", "2 h 05 min".
  dur_m: (m: number) => `${m} min`,
  dur_hm: (h: number, mm: string) => `${h} h ${mm} min`,
};

type Strings = typeof en;

const id: Strings = {
  tagline: 'Sedang gangguan? Laporan warga, dibandingkan dengan kondisi normal.',
  nav_home: 'Layanan',
  nav_incidents: 'Insiden',
  language: 'Bahasa',
  skip: 'Langsung ke isi',
  status_ok: 'Tidak ada masalah',
  status_elevated: 'Laporan di atas normal',
  elevated_text: (reports: string, expected: string, minutes: number): string =>
    `Tidak ada insiden terbuka, tetapi ${reports} orang melaporkan masalah dalam ${minutes} menit terakhir, padahal biasanya sekitar ${expected}.`,
  status_possible: 'Kemungkinan ada masalah',
  status_detected: 'Masalah terdeteksi',
  search: 'Cari layanan',
  search_hint: 'Nama atau alias, mis. wa',
  search_enter: 'Tekan Enter untuk membuka hasil pertama.',
  category: 'Kategori',
  country: 'Negara',
  all: 'Semua',
  worldwide: 'Seluruh dunia',
  services_count: (n) => `${n} layanan`,
  no_match: 'Tidak ada layanan yang cocok dengan filter ini.',
  last_hour: (n) => `${n} laporan dalam satu jam terakhir`,
  spark_label: (name, total) => `${name}: ${total} laporan dalam 24 jam terakhir, per jam`,
  loading: 'Memuat…',
  load_error: 'Data tidak dapat dimuat. Mencoba lagi…',
  problem_with: (name) => `Saya mengalami masalah dengan ${name}`,
  pick_symptom: 'Apa yang tidak berfungsi?',
  cancel: 'Batal',
  sending: 'Mengirim laporan Anda…',
  thanks: 'Terima kasih, laporan Anda sudah dihitung.',
  already: 'Anda baru saja melaporkan ini; laporan Anda sudah dihitung.',
  already_until: (when: string) =>
    `Anda baru saja melaporkan ini; laporan Anda sudah dihitung. Anda dapat melapor lagi pukul ${when}.`,
  networkCounted: 'Banyak orang di jaringan Anda sudah melaporkan ini dalam beberapa menit terakhir; laporan mereka sudah mewakili laporan Anda.',
  rate_limited: (when) => `Terlalu banyak laporan dari koneksi Anda. Silakan coba lagi ${when}.`,
  unavailable: (when) => `Lapor sedang sibuk. Silakan coba lagi ${when}.`,
  invalid: (msg) => `Laporan ditolak: ${msg}`,
  unknown_service: 'Layanan ini tidak ada dalam daftar kami.',
  network_error: 'Tidak dapat terhubung ke Lapor. Periksa koneksi Anda lalu coba lagi.',
  comment_label: 'Tambahkan komentar (opsional)',
  comment_help: 'Tulis sebelum memilih apa yang tidak berfungsi. Semua orang dapat membacanya: jangan cantumkan nama, nomor, atau alamat.',
  comment_left: (n) => `Sisa ${n} karakter`,
  comment_sent: 'Komentar Anda akan muncul di bawah “Komentar terbaru” dalam beberapa detik.',
  comment_not_posted: 'Komentar Anda tidak dikirim: setiap koneksi hanya dapat mengirim satu komentar per layanan setiap 15 menit.',
  not_alone: (n, name) => `Anda tidak sendirian: ${n} orang melaporkan masalah dengan ${name} dalam 15 menit terakhir.`,
  not_alone_from: (n, name, m, country) =>
    `Anda tidak sendirian: ${n} orang melaporkan masalah dengan ${name} dalam 15 menit terakhir, ${m} di antaranya dari ${country}.`,
  among_first: (name) => `Anda termasuk yang pertama melaporkan masalah dengan ${name} dalam 15 menit terakhir.`,
  comments_title: 'Komentar terbaru',
  comments_note: 'Yang ditulis orang bersama laporannya, terbaru di atas. Lapor tidak memeriksanya.',
  comments_none: 'Belum ada komentar dalam 7 hari terakhir.',
  comments_error: 'Komentar tidak dapat dimuat. Lapor akan memuatnya lagi sebentar lagi.',
  in_seconds: (n) => (n <= 1 ? 'sebentar lagi' : `dalam ${n} detik`),
  in_minutes: (n) => (n <= 1 ? 'dalam satu menit' : `dalam ${n} menit`),
  at_time: (t) => `pukul ${t}`,
  chart_title: 'Laporan dalam 24 jam terakhir',
  chart_title_range: 'Laporan',
  unit_15m: 'laporan per 15 menit',
  unit_1h: 'laporan per jam',
  unit_1d: 'laporan per hari',
  reports: 'Laporan',
  reporters: 'Pelapor berbeda',
  official_site: 'Situs resmi',
  status_page: 'Halaman status resmi',
  reporters_same: 'Setiap koneksi dihitung sekali per layanan setiap 15 menit, jadi pada baris 15 menit jumlah laporan sama dengan jumlah pelapor berbeda.',
  usual: 'Rentang normal (di bawah ambang peringatan)',
  median: 'Perkiraan',
  threshold_possible: 'Ambang peringatan',
  threshold_detected: 'Ambang gangguan',
  latest: (step) => (step === 86400 ? 'Hari terakhir' : step === 3600 ? 'Jam terakhir' : '15 menit terakhir'),
  still_filling: 'masih berjalan',
  so_far: 'sejauh ini',
  until: (time) => `hingga ${time}`,
  times_in: (tz) => `Waktu dalam zona waktu Anda (${tz}).`,
  since: (t) => `sejak ${t}`,
  peak: (n, t) => `Puncak: ${n} laporan dalam satu menit pukul ${t}`,
  most_reported: 'Masalah yang paling banyak dilaporkan',
  status_now: 'Status saat ini',
  ok_text: 'Laporan pengguna tidak menunjukkan masalah saat ini.',
  possible_text: 'Laporan lebih banyak dari biasanya.',
  detected_text: 'Laporan jauh lebih banyak dari biasanya: kemungkinan besar terjadi gangguan.',
  status_unknown: 'Status tidak diketahui',
  status_unknown_text: 'Laporan terbaru tidak dapat dimuat, jadi statusnya tidak diketahui. Mencoba lagi…',
  map_title: 'Lokasi laporan masalah',
  map_unit: 'Laporan dalam 6 jam terakhir, per negara',
  map_empty: 'Tidak ada laporan dalam 6 jam terakhir.',
  map_label: 'Peta laporan per negara, masing-masing dibandingkan dengan tingkat normal negara itu',
  map_legend: 'Laporan dibandingkan dengan tingkat normal negara itu',
  map_step_upto: (x) => `Hingga ${x}× biasanya`,
  map_step_between: (a, b) => `${a}–${b}× biasanya`,
  map_step_over: (x) => `Lebih dari ${x}× biasanya`,
  map_step_unknown: 'Ada laporan, tingkat normal belum diketahui',
  map_step_none: 'Tidak ada laporan',
  map_no_reports: 'tidak ada laporan',
  map_no_usual: 'tingkat normal belum diketahui',
  map_tip_reports: (n) => `${n} laporan`,
  map_tip_usual: (n) => `biasanya ${n}`,
  map_tip_ratio: (r) => `${r} biasanya`,
  map_usual: (days) =>
    `Warna membandingkan laporan tiap negara dengan tingkat normalnya: rata-rata pada 6 jam yang sama ${days === 1 ? 'kemarin' : `pada tiap hari dalam ${days} hari terakhir`}.`,
  map_usual_none: 'Riwayat layanan ini belum sampai satu hari, jadi belum ada negara yang memiliki tingkat normal.',
  map_usual_col: 'Normal',
  map_ratio_col: '× biasanya',
  map_not_known: 'belum diketahui',
  breakdown_caption: 'Laporan dalam satu jam terakhir, per masalah',
  breakdown_empty: 'Tidak ada laporan dalam satu jam terakhir.',
  breakdown_total: (n) => `total ${n}`,
  breakdown_problem: 'Masalah',
  breakdown_share: 'Porsi',
  unknown_country: 'Tidak diketahui',
  all_countries: (n) => `Semua ${n} negara dalam tabel`,
  share: 'Bagikan dan unduh',
  stable_link: 'Tautan ke grafik ini',
  frozen_note: (until: string): string =>
    `Rentang tetap hingga ${until}: setiap bagian di dalamnya sudah final, jadi tautan ini selalu menampilkan angka yang sama.`,
  frozen_none: 'Belum ada bagian rentang ini yang final: tautan menyimpan rentangnya, tetapi angkanya masih bisa berubah.',
  embed_follow: 'Ikuti 24 jam terakhir',
  embed_freeze: 'Bekukan rentang ini',
  may_change: 'masih bisa berubah',
  copy: 'Salin',
  copied: 'Disalin ke papan klip.',
  embed: 'Kode sematan',
  png: 'Gambar (PNG)',
  csv: 'Data (CSV)',
  past_incidents: 'Insiden sebelumnya',
  no_incidents: 'Belum ada insiden tercatat.',
  start: 'Mulai',
  end: 'Selesai',
  peak_col: 'Puncak (laporan per menit)',
  leading: 'Masalah utama',
  level: 'Tingkat',
  service: 'Layanan',
  status: 'Status',
  ongoing: 'Berlangsung',
  resolved: 'Selesai',
  ended: 'Berakhir',
  end_reason: {
    normal: 'Laporan kembali normal',
    faded: 'Laporan jauh turun dari puncaknya',
    new_normal: 'Laporan tetap tinggi selama berjam-jam dan kini dianggap normal: masalahnya mungkin belum selesai',
  },
  open: 'Berlangsung',
  not_found: 'Halaman tidak ditemukan',
  not_found_service: 'Kami tidak mengenal layanan ini.',
  back_home: 'Kembali ke semua layanan',
  incidents_title: 'Insiden terbaru dan yang sedang berlangsung',
  incidents_count: (n) => `${n} insiden`,
  duration: 'Durasi',
  feeds: 'Ikuti insiden ini lewat feed:',
  search_service: 'Cari layanan',
  level_possible: 'Kemungkinan ada masalah',
  level_detected: 'Masalah terdeteksi',
  view_on: 'Lihat di lapor',
  table: 'Tabel',
  data_table: 'Grafik dalam bentuk tabel',
  time: 'Waktu',
  updated: (t) => `Diperbarui ${t}`,
  range: 'Rentang waktu',
  range_24h: '24 jam',
  range_48h: '48 jam',
  range_7d: '7 hari',
  range_30d: '30 hari',
  range_custom: 'Pilih sendiri',
  range_from: 'Dari',
  range_to: 'Sampai',
  range_show: 'Tampilkan',
  range_hint: (max) => `Dalam zona waktu Anda. Paling lama ${max}.`,
  range_max: (days) => `${days} hari (sekitar 5 tahun)`,
  chart_title_48h: 'Laporan dalam 48 jam terakhir',
  chart_title_7d: 'Laporan dalam 7 hari terakhir',
  chart_title_30d: 'Laporan dalam 30 hari terakhir',
  range_missing: 'Isi waktu mulai dan waktu akhir.',
  range_too_large: (max) => `Rentang ini terlalu panjang untuk grafik. Rentang terpanjang yang dapat ditampilkan adalah ${max}. Pilih rentang yang lebih pendek.`,
  range_order: 'Awal rentang berada setelah akhirnya. Pilih waktu mulai sebelum waktu akhir.',
  range_bad_date: 'Tanggal dalam tautan ini tidak valid. Pilih tanggalnya lagi.',
  range_refused: (msg) => `Grafik tidak dapat ditampilkan untuk rentang ini: ${msg}`,
  incident_of: (name) => `Insiden ${name}`,
  incident_details: 'Detail insiden ini',
  all_incidents: 'Semua insiden',
  not_found_incident: 'Kami tidak mengenal insiden ini.',
  peak_label: 'Puncak',
  peak_value: (n, at) => `${n} laporan dalam satu menit, pukul ${at}`,
  incident_chart: 'Laporan di sekitar insiden ini',
  incident_chart_range: (from, to) => `Dari ${from} sampai ${to}.`,
  open_range: 'Buka rentang waktu ini di halaman layanan untuk membagikan atau mengunduhnya',
  incident_countries: 'Negara dengan laporan terbanyak',
  no_symptoms: 'Tidak ada rincian per masalah yang tercatat.',
  no_countries: 'Tidak ada negara yang tercatat.',
  dur_m: (m) => `${m} menit`,
  dur_hm: (h, mm) => `${h} jam ${mm} menit`,
};

const tables: Record<Lang, Strings> = { en, id };

function valid(v: string | null | undefined): Lang | null {
  if (!v) return null;
  const l = v.toLowerCase();
  if (l === 'id' || l.startsWith('id-') || l === 'in') return 'id';
  if (l === 'en' || l.startsWith('en-')) return 'en';
  return null;
}

function stored(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

/** detectLang: `?lang=` wins, then the reader's saved choice, then the browser's languages. */
export function detectLang(): Lang {
  const q = valid(new URLSearchParams(location.search).get('lang'));
  if (q) return q;
  const s = valid(stored());
  if (s) return s;
  for (const l of navigator.languages ?? [navigator.language]) {
    const v = valid(l);
    if (v) return v;
  }
  return 'en';
}

export let lang: Lang = detectLang();
export let t: Strings = tables[lang];
export let locale = lang === 'id' ? 'id-ID' : 'en-GB';

const fmtCache = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat>();

const listeners = new Set<() => void>();

/** onLangChange registers a re-render for when the reader switches language. */
export function onLangChange(f: () => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}

function apply(l: Lang) {
  lang = l;
  t = tables[l];
  // en-GB gives 24-hour times and day-month order, readable for both audiences.
  locale = l === 'id' ? 'id-ID' : 'en-GB';
  document.documentElement.lang = l;
  fmtCache.clear();
}

/** setLang switches language, remembers it and drops `?lang=` so the choice sticks. */
export function setLang(l: Lang) {
  try {
    localStorage.setItem(KEY, l);
  } catch {
    // Private mode: the choice lasts for this page only.
  }
  const u = new URL(location.href);
  if (u.searchParams.has('lang')) {
    u.searchParams.set('lang', l);
    history.replaceState(history.state, '', u);
  }
  apply(l);
  listeners.forEach((f) => f());
}

apply(lang);

function dtf(key: string, o: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  let f = fmtCache.get(key) as Intl.DateTimeFormat | undefined;
  if (!f) {
    f = new Intl.DateTimeFormat(locale, o);
    fmtCache.set(key, f);
  }
  return f;
}

/** unitOf names what a chart's numbers count, from its bucket in seconds. */
export function unitOf(step: number | undefined): string {
  if (step === 3600) return t.unit_1h;
  if (step === 86400) return t.unit_1d;
  return t.unit_15m;
}

export function num(n: number, digits = 0): string {
  const key = 'n' + digits;
  let f = fmtCache.get(key) as Intl.NumberFormat | undefined;
  if (!f) {
    f = new Intl.NumberFormat(locale, { maximumFractionDigits: digits });
    fmtCache.set(key, f);
  }
  return f.format(n);
}

export function pct(share: number): string {
  let f = fmtCache.get('pct') as Intl.NumberFormat | undefined;
  if (!f) {
    f = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 });
    fmtCache.set('pct', f);
  }
  return f.format(share);
}

const asDate = (d: Date | string | number) => (d instanceof Date ? d : new Date(d));

/** time: "14:05". */
export const time = (d: Date | string | number) =>
  dtf('time', { hour: '2-digit', minute: '2-digit' }).format(asDate(d));

/** dateTime: "28 Nov, 14:05". */
export const dateTime = (d: Date | string | number) =>
  dtf('dt', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }).format(asDate(d));

/** dayMonth: "28 Nov". */
export const dayMonth = (d: Date | string | number) => dtf('dm', { day: 'numeric', month: 'short' }).format(asDate(d));

/** monthYear: "Nov 2024". */
export const monthYear = (d: Date | string | number) => dtf('my', { month: 'short', year: 'numeric' }).format(asDate(d));

/** dateTimeTZ: "28 Nov, 14:05 WIB". */
export const dateTimeTZ = (d: Date | string | number) =>
  dtf('dtz', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }).format(
    asDate(d),
  );

/** dateTimeYearTZ: "28 Nov 2024, 14:05 WIB", for a record that may be from another year. */
export const dateTimeYearTZ = (d: Date | string | number) =>
  dtf('dytz', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }).format(
    asDate(d),
  );

/** duration writes a length of time in hours and minutes ("2 h 05 min", "2 jam 05 menit"). */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  const m = Math.round(ms / 60000);
  return m < 60 ? t.dur_m(m) : t.dur_hm(Math.floor(m / 60), String(m % 60).padStart(2, '0'));
}

/** tzName: the reader's zone, e.g. "Asia/Jakarta". */
export const tzName = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

let regionNames: Intl.DisplayNames | null = null;
let regionLocale = '';

/** countryName turns ISO 3166-1 alpha-2 into the country's name in the locale. */
export function countryName(code: string): string {
  if (!code) return t.unknown_country;
  if (code === '*') return t.worldwide;
  try {
    if (!regionNames || regionLocale !== locale) {
      regionNames = new Intl.DisplayNames([locale], { type: 'region' });
      regionLocale = locale;
    }
    return regionNames.of(code.toUpperCase()) ?? code;
  } catch {
    return code;
  }
}

/** retryWhen says in words when to try again after `seconds`. */
export function retryWhen(seconds: number | undefined): string {
  const s = Math.max(1, Math.ceil(seconds ?? 60));
  if (s < 90) return t.in_seconds(s);
  if (s < 3600) return t.in_minutes(Math.ceil(s / 60));
  return t.at_time(time(Date.now() + s * 1000));
}
