/**
 * The state agencies' announced schedules for 2024–2026 (domain.md §3.1), shipped as seed data: written to
 * Postgres on first start (infra/db/seed.ts) where admins can correct them. Holidays a year does not list
 * here (2026's National Day) follow the law-derived default.
 */
import type { AnnouncedYear, DayKind, HolidayId, ScheduleDay } from './holidays.js';

const d = (date: string, kind: DayKind, holiday: HolidayId | null, note?: string): ScheduleDay => ({ date, kind, holiday, note });

export const OFFICIAL_SCHEDULES: readonly AnnouncedYear[] = [
  {
    year: 2024,
    source:
      'Tết: Công văn 8662/VPCP-KGVX (nghỉ 08/02–14/02); 30/4–1/5: hoán đổi thứ Hai 29/4 với thứ Bảy 4/5 (thông báo của Bộ LĐTBXH); Quốc khánh: 31/8–3/9',
    days: [
      d('2024-01-01', 'holiday', 'new-year'),
      d('2024-02-08', 'holiday', 'tet', '29 Chạp'),
      d('2024-02-09', 'holiday', 'tet', '30 Chạp (Giao thừa)'),
      d('2024-02-10', 'holiday', 'tet', 'Mùng 1'),
      d('2024-02-11', 'holiday', 'tet', 'Mùng 2'),
      d('2024-02-12', 'holiday', 'tet', 'Mùng 3'),
      d('2024-02-13', 'compensatory', 'tet', 'Nghỉ bù mùng 1 (thứ Bảy)'),
      d('2024-02-14', 'compensatory', 'tet', 'Nghỉ bù mùng 2 (Chủ nhật)'),
      d('2024-04-18', 'holiday', 'hung-kings'),
      d('2024-04-29', 'bridge', 'reunification', 'Hoán đổi với thứ Bảy 04/5'),
      d('2024-04-30', 'holiday', 'reunification'),
      d('2024-05-01', 'holiday', 'labour'),
      d('2024-05-04', 'make-up', 'reunification', 'Làm bù cho thứ Hai 29/4'),
      d('2024-09-02', 'holiday', 'national-day'),
      d('2024-09-03', 'holiday', 'national-day', 'Ngày liền kề'),
    ],
  },
  {
    year: 2025,
    source: 'Tết: nghỉ 25/01–02/02 (9 ngày); 30/4–1/5: hoán đổi thứ Sáu 2/5 với thứ Bảy 26/4; Quốc khánh: 30/8–2/9',
    days: [
      d('2025-01-01', 'holiday', 'new-year'),
      d('2025-01-27', 'holiday', 'tet', '28 Chạp'),
      d('2025-01-28', 'holiday', 'tet', '29 Chạp (Giao thừa)'),
      d('2025-01-29', 'holiday', 'tet', 'Mùng 1'),
      d('2025-01-30', 'holiday', 'tet', 'Mùng 2'),
      d('2025-01-31', 'holiday', 'tet', 'Mùng 3'),
      d('2025-04-07', 'holiday', 'hung-kings'),
      d('2025-04-26', 'make-up', 'reunification', 'Làm bù cho thứ Sáu 02/5'),
      d('2025-04-30', 'holiday', 'reunification'),
      d('2025-05-01', 'holiday', 'labour'),
      d('2025-05-02', 'bridge', 'labour', 'Hoán đổi với thứ Bảy 26/4'),
      d('2025-09-01', 'holiday', 'national-day', 'Ngày liền kề'),
      d('2025-09-02', 'holiday', 'national-day'),
    ],
  },
  {
    year: 2026,
    source:
      'Tết Dương lịch: Công văn 12729/VPCP-KGVX ngày 25/12/2025 (nghỉ 01/01–04/01, làm bù thứ Bảy 10/01); Tết: nghỉ chính thức 16/02–20/02; Giỗ Tổ 26/4 (Chủ nhật) nghỉ bù 27/4; 30/4–1/5',
    days: [
      d('2026-01-01', 'holiday', 'new-year'),
      d('2026-01-02', 'bridge', 'new-year', 'Hoán đổi với thứ Bảy 10/01'),
      d('2026-01-10', 'make-up', 'new-year', 'Làm bù cho thứ Sáu 02/01'),
      d('2026-02-16', 'holiday', 'tet', '29 Chạp (Giao thừa)'),
      d('2026-02-17', 'holiday', 'tet', 'Mùng 1'),
      d('2026-02-18', 'holiday', 'tet', 'Mùng 2'),
      d('2026-02-19', 'holiday', 'tet', 'Mùng 3'),
      d('2026-02-20', 'holiday', 'tet', 'Mùng 4'),
      d('2026-04-26', 'holiday', 'hung-kings'),
      d('2026-04-27', 'compensatory', 'hung-kings', 'Nghỉ bù Giỗ Tổ (Chủ nhật 26/4)'),
      d('2026-04-30', 'holiday', 'reunification'),
      d('2026-05-01', 'holiday', 'labour'),
    ],
  },
];
