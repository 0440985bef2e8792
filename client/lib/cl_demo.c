/* cl_demo — the demo office base (see cl_demo.h). Everything here is data:
 * name, city, industry tables and a seeded generator (splitmix64) that picks
 * from them. The values go in as a user types them (cl_set), so the store
 * validates, indexes and (on a connected profile) queues them like any card.
 * Client kinds decide the deal history: regular (buying every few weeks up to
 * now), lapsing (regular until some months ago), one-off (one deal), prospect
 * (a quote), cold (nothing yet) — what the lapsed, RFM, ABC and funnel reports
 * are about. */
#include "cl_demo.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kt_time.h"

#define N_ORGS 300
#define DAY_MS (24LL * 3600 * 1000)

typedef struct rng {
  uint64_t s;
} rng;

static uint64_t next(rng *r) {
  uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
static int pick(rng *r, int n) { return (int)(next(r) % (uint64_t)n); }
static int between(rng *r, int lo, int hi) { return lo + pick(r, hi - lo + 1); }
static bool chance(rng *r, int percent) { return pick(r, 100) < percent; }
#define ONE_OF(r, arr) (arr)[pick((r), (int)(sizeof(arr) / sizeof((arr)[0])))]
#define COUNT(arr) ((int)(sizeof(arr) / sizeof((arr)[0])))

typedef struct city {
  const char *name, *region, *area; /* area code: 3 or 4 digits */
  const char *inn_region;           /* first two digits of a local INN */
} city;

static const city cities[] = {
    {"Москва", "Москва", "495", "77"},
    {"Москва", "Москва", "499", "77"},
    {"Санкт-Петербург", "Санкт-Петербург", "812", "78"},
    {"Тверь", "Тверская область", "4822", "69"},
    {"Казань", "Республика Татарстан", "843", "16"},
    {"Екатеринбург", "Свердловская область", "343", "66"},
    {"Новосибирск", "Новосибирская область", "383", "54"},
    {"Нижний Новгород", "Нижегородская область", "831", "52"},
    {"Самара", "Самарская область", "846", "63"},
    {"Ростов-на-Дону", "Ростовская область", "863", "61"},
    {"Краснодар", "Краснодарский край", "861", "23"},
    {"Воронеж", "Воронежская область", "473", "36"},
    {"Ярославль", "Ярославская область", "4852", "76"},
};

static const char *const streets[] = {
    "ул. Ленина",   "ул. Советская", "пр. Мира",     "ул. Гагарина",   "ул. Садовая",
    "ул. Лесная",   "ул. Московская", "ул. Пушкина", "ул. Заводская",  "ул. Набережная",
    "ул. Школьная", "пр. Победы",    "ул. Мичурина", "ул. Кирова",     "ул. Строителей",
};

/* Organization names: a stem and an ending, every pair used once. */
static const char *const stems[] = {"Техно", "Строй", "Агро", "Мед",   "Лес",   "Инвест", "Транс",
                                    "Энерго", "Пром", "Торг", "Хим",   "Электро", "Авто", "Гидро",
                                    "Тепло", "Метиз", "Полимер", "Сталь", "Био",  "Нева"};
static const char *const endings[] = {"сервис", "комплект", "снаб",  "лайн",   "маш",  "проект",
                                      "групп",  "ресурс",   "стандарт", "трейд", "логистик",
                                      "монтаж", "систем",   "альянс", "центр", "пром"};

typedef struct industry {
  const char *name, *domain_word;
} industry;
static const industry industries[] = {
    {"Строительство", "stroy"},  {"Оптовая торговля", "trade"}, {"Производство", "zavod"},
    {"Медицина", "med"},         {"Логистика", "trans"},        {"Сельское хозяйство", "agro"},
    {"Информационные технологии", "it"}, {"Энергетика", "energo"}, {"Общественное питание", "food"},
};

typedef struct person_name {
  const char *m, *f; /* male / female form */
} person_name;

static const char *const male_first[] = {"Александр", "Алексей", "Андрей",  "Дмитрий", "Сергей",
                                         "Игорь",     "Михаил",  "Николай", "Павел",   "Олег",
                                         "Владимир",  "Евгений", "Юрий",    "Константин", "Артём",
                                         "Максим"};
static const char *const female_first[] = {"Анна",     "Елена",  "Ольга",   "Наталья", "Ирина",
                                           "Татьяна",  "Мария",  "Светлана", "Екатерина", "Юлия",
                                           "Марина",   "Людмила", "Алёна",  "Ксения",  "Дарья",
                                           "Вера"};
static const person_name patronymics[] = {
    {"Александрович", "Александровна"}, {"Сергеевич", "Сергеевна"}, {"Иванович", "Ивановна"},
    {"Петрович", "Петровна"},           {"Николаевич", "Николаевна"}, {"Викторович", "Викторовна"},
    {"Андреевич", "Андреевна"},         {"Михайлович", "Михайловна"}, {"Владимирович", "Владимировна"},
    {"Юрьевич", "Юрьевна"},             {"Олегович", "Олеговна"},     {"Геннадьевич", "Геннадьевна"},
};
static const person_name surnames[] = {
    {"Иванов", "Иванова"},     {"Смирнов", "Смирнова"},   {"Кузнецов", "Кузнецова"},
    {"Попов", "Попова"},       {"Васильев", "Васильева"}, {"Петров", "Петрова"},
    {"Соколов", "Соколова"},   {"Михайлов", "Михайлова"}, {"Новиков", "Новикова"},
    {"Фёдоров", "Фёдорова"},   {"Морозов", "Морозова"},   {"Волков", "Волкова"},
    {"Алексеев", "Алексеева"}, {"Лебедев", "Лебедева"},   {"Семёнов", "Семёнова"},
    {"Егоров", "Егорова"},     {"Павлов", "Павлова"},     {"Козлов", "Козлова"},
    {"Степанов", "Степанова"}, {"Николаев", "Николаева"}, {"Орлов", "Орлова"},
    {"Андреев", "Андреева"},   {"Макаров", "Макарова"},   {"Никитин", "Никитина"},
    {"Захаров", "Захарова"},   {"Зайцев", "Зайцева"},     {"Соловьёв", "Соловьёва"},
    {"Борисов", "Борисова"},   {"Яковлев", "Яковлева"},   {"Григорьев", "Григорьева"},
    {"Белов", "Белова"},       {"Тарасов", "Тарасова"},
};
static const char *const positions[] = {
    "Генеральный директор", "Коммерческий директор", "Главный бухгалтер",
    "Менеджер по закупкам", "Начальник отдела снабжения", "Главный инженер",
    "Офис-менеджер",        "Юрист",                 "Заместитель директора",
};
static const char *const mobile_codes[] = {"903", "905", "910", "915", "916", "921", "926",
                                           "950", "960", "977", "985", "999"};

static const char *const call_topics[] = {
    "Уточнить потребность на следующий квартал", "Согласовать счёт",
    "Предложить новый прайс-лист",               "Напомнить об оплате",
    "Обсудить условия доставки",                 "Поздравить с праздником",
    "Узнать, как прошла поставка",               "Договориться о встрече",
};
static const char *const task_titles[] = {
    "Подготовить коммерческое предложение", "Выставить счёт",
    "Отправить договор на подпись",         "Проверить поступление оплаты",
    "Собрать отзывы о поставке",            "Обновить реквизиты клиента",
    "Подготовить акт сверки",               "Согласовать график поставок",
};
static const char *const note_texts[] = {
    "Предпочитает связь по электронной почте, звонить после 14:00.",
    "Решения принимает генеральный директор, бухгалтерия согласует оплату.",
    "Просили присылать прайс-лист каждый месяц.",
    "Закупки планируют в начале квартала.",
    "Недовольны сроками последней поставки — держать на контроле.",
    "Интересуются отсрочкой платежа на 30 дней.",
};

/* Latin spelling of Cyrillic letters for e-mail addresses and sites. */
static const struct {
  const char *cyr, *lat;
} translit_map[] = {
    {"а", "a"},  {"б", "b"},  {"в", "v"},  {"г", "g"},  {"д", "d"},   {"е", "e"},  {"ё", "e"},
    {"ж", "zh"}, {"з", "z"},  {"и", "i"},  {"й", "y"},  {"к", "k"},   {"л", "l"},  {"м", "m"},
    {"н", "n"},  {"о", "o"},  {"п", "p"},  {"р", "r"},  {"с", "s"},   {"т", "t"},  {"у", "u"},
    {"ф", "f"},  {"х", "kh"}, {"ц", "ts"}, {"ч", "ch"}, {"ш", "sh"},  {"щ", "sch"}, {"ъ", ""},
    {"ы", "y"},  {"ь", ""},   {"э", "e"},  {"ю", "yu"}, {"я", "ya"},  {"А", "a"},  {"Б", "b"},
    {"В", "v"},  {"Г", "g"},  {"Д", "d"},  {"Е", "e"},  {"Ё", "e"},   {"Ж", "zh"}, {"З", "z"},
    {"И", "i"},  {"Й", "y"},  {"К", "k"},  {"Л", "l"},  {"М", "m"},   {"Н", "n"},  {"О", "o"},
    {"П", "p"},  {"Р", "r"},  {"С", "s"},  {"Т", "t"},  {"У", "u"},   {"Ф", "f"},  {"Х", "kh"},
    {"Ц", "ts"}, {"Ч", "ch"}, {"Ш", "sh"}, {"Щ", "sch"}, {"Э", "e"},  {"Ю", "yu"}, {"Я", "ya"},
};

static void translit(const char *s, char *out, size_t n) {
  size_t o = 0;
  while (*s && o + 4 < n) {
    bool done = false;
    for (int i = 0; i < COUNT(translit_map); i++) {
      size_t l = strlen(translit_map[i].cyr);
      if (strncmp(s, translit_map[i].cyr, l) == 0) {
        o += (size_t)snprintf(out + o, n - o, "%s", translit_map[i].lat);
        s += l;
        done = true;
        break;
      }
    }
    if (done) continue;
    unsigned char c = (unsigned char)*s++;
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out[o++] = (char)c;
    else if (c >= 'A' && c <= 'Z') out[o++] = (char)(c - 'A' + 'a');
  }
  out[o] = '\0';
}

/* A 10-digit INN of a legal entity, or a 12-digit one of an individual
 * entrepreneur, with valid check digits. */
static void make_inn(rng *r, const char *region, bool person, char *out) {
  static const int w10[] = {2, 4, 10, 3, 5, 9, 4, 6, 8};
  static const int w11[] = {7, 2, 4, 10, 3, 5, 9, 4, 6, 8};
  static const int w12[] = {3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8};
  int d[12], n = person ? 12 : 10;
  d[0] = region[0] - '0';
  d[1] = region[1] - '0';
  for (int i = 2; i < n - (person ? 2 : 1); i++) d[i] = pick(r, 10);
  if (!person) {
    int sum = 0;
    for (int i = 0; i < 9; i++) sum += w10[i] * d[i];
    d[9] = sum % 11 % 10;
  } else {
    int sum = 0;
    for (int i = 0; i < 10; i++) sum += w11[i] * d[i];
    d[10] = sum % 11 % 10;
    sum = 0;
    for (int i = 0; i < 11; i++) sum += w12[i] * d[i];
    d[11] = sum % 11 % 10;
  }
  for (int i = 0; i < n; i++) out[i] = (char)('0' + d[i]);
  out[n] = '\0';
}

/* A city phone: +7 (AREA) local, the local part unique per k. */
static void city_phone(const city *c, int k, char *out, size_t n) {
  if (strlen(c->area) == 3) {
    int local = (1000000 + k * 7919) % 9000000 + 1000000;
    snprintf(out, n, "+7 (%s) %03d-%02d-%02d", c->area, local / 10000, local / 100 % 100,
             local % 100);
  } else {
    int local = (100000 + k * 7919) % 900000 + 100000;
    snprintf(out, n, "+7 (%s) %02d-%02d-%02d", c->area, local / 10000, local / 100 % 100,
             local % 100);
  }
}

static void mobile_phone(int k, char *out, size_t n) {
  int local = (2000000 + k * 104729) % 8000000 + 2000000;
  snprintf(out, n, "+7 %s %03d-%02d-%02d", mobile_codes[k % COUNT(mobile_codes)], local / 10000,
           local / 100 % 100, local % 100);
}

/* Local calendar arithmetic around today. */
typedef struct demo {
  cl_store *s;
  rng r;
  struct tm today; /* local, 00:00 */
  cl_demo_stats st;
  kt_err *err;
} demo;

static void day_str(const demo *d, int offset, char *out, size_t n) {
  struct tm t = d->today;
  t.tm_mday += offset;
  t.tm_hour = 12; /* DST-safe */
  t.tm_isdst = -1;
  mktime(&t);
  strftime(out, n, "%Y-%m-%d", &t);
}
static void at_str(const demo *d, int offset, int hour, int minute, char *out, size_t n) {
  char day[16];
  day_str(d, offset, day, sizeof day);
  snprintf(out, n, "%sT%02d:%02d", day, hour, minute);
}

#define MAXSET 24
typedef struct sets {
  cl_set v[MAXSET];
  int n;
  char buf[MAXSET][256];
} sets;

static void set(sets *s, const char *field, const char *value) {
  if (s->n >= MAXSET || !value) return;
  snprintf(s->buf[s->n], sizeof s->buf[s->n], "%s", value);
  s->v[s->n].field = field;
  s->v[s->n].value = s->buf[s->n];
  s->n++;
}
static void setf(sets *s, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void setf(sets *s, const char *field, const char *fmt, ...) {
  char v[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(v, sizeof v, fmt, ap);
  va_end(ap);
  set(s, field, v);
}

static int add(demo *d, const char *type, sets *s, char id[KT_UUID_STRLEN + 1], int *counter) {
  char tmp[KT_UUID_STRLEN + 1];
  int rc = cl_store_add(d->s, type, s->v, s->n, id ? id : tmp, d->err);
  if (!rc) (*counter)++;
  return rc;
}

typedef enum { K_REGULAR, K_LAPSING, K_ONEOFF, K_PROSPECT, K_COLD } kind;

/* A deal of amount (roubles) on day offset; recent ones may still be unpaid. */
static int deal(demo *d, const char *org, const char *contact, int offset, long amount) {
  sets s = {0};
  char day[16];
  day_str(d, offset, day, sizeof day);
  set(&s, "date", day);
  setf(&s, "amount", "%ld.00", amount);
  const char *state = offset > -14 ? (chance(&d->r, 50) ? "invoice" : "shipped") : "paid";
  set(&s, "state", state);
  if (strcmp(state, "paid") == 0) setf(&s, "paid", "%ld.00", amount);
  setf(&s, "units", "%d", between(&d->r, 1, 40));
  set(&s, "org", org);
  if (contact[0]) set(&s, "contact", contact);
  return add(d, "deal", &s, NULL, &d->st.deals);
}

static int event(demo *d, const char *type, const char *title, const char *org,
                 const char *contact, int offset, int hour, const char *status,
                 const char *result) {
  sets s = {0};
  char at[32];
  at_str(d, offset, hour, pick(&d->r, 4) * 15, at, sizeof at);
  set(&s, "type", type);
  set(&s, "title", title);
  set(&s, "start", at);
  set(&s, "duration", strcmp(type, "meeting") == 0 ? "1h" : "15m");
  set(&s, "assignee", cl_store_user(d->s));
  set(&s, "org", org);
  if (contact[0]) set(&s, "contact", contact);
  set(&s, "status", status);
  if (result) set(&s, "result", result);
  if (strcmp(status, "planned") == 0 && offset >= 0) set(&s, "remind_before", "15m");
  return add(d, "event", &s, NULL, &d->st.events);
}

static int task(demo *d, const char *org, int offset, const char *status) {
  sets s = {0};
  char at[32];
  at_str(d, offset, 18, 0, at, sizeof at);
  set(&s, "title", ONE_OF(&d->r, task_titles));
  set(&s, "due", at);
  set(&s, "priority", chance(&d->r, 25) ? "high" : "normal");
  set(&s, "status", status);
  set(&s, "assignee", cl_store_user(d->s));
  set(&s, "org", org);
  return add(d, "task", &s, NULL, &d->st.tasks);
}

/* One organization with its contacts, deals, diary and notes. */
static int one_org(demo *d, int i, int stem, int ending) {
  rng *r = &d->r;
  const city *c = &cities[pick(r, COUNT(cities))];
  const industry *ind = &industries[pick(r, COUNT(industries))];
  bool ip = chance(r, 12); /* an individual entrepreneur */
  char name[160], legal[200], inn[16], latin[64], phone[40];
  sets s = {0};
  const person_name *boss = &surnames[pick(r, COUNT(surnames))];
  const char *boss_first = ONE_OF(r, male_first);
  if (ip) {
    snprintf(name, sizeof name, "ИП %s %.2s.", boss->m, boss_first);
    snprintf(legal, sizeof legal, "Индивидуальный предприниматель %s %s", boss->m, boss_first);
    translit(boss->m, latin, sizeof latin);
  } else {
    bool ao = chance(r, 15);
    snprintf(name, sizeof name, "%s «%s%s»", ao ? "АО" : "ООО", stems[stem], endings[ending]);
    snprintf(legal, sizeof legal, "%s «%s%s»",
             ao ? "Акционерное общество" : "Общество с ограниченной ответственностью",
             stems[stem], endings[ending]);
    char word[80];
    snprintf(word, sizeof word, "%s%s", stems[stem], endings[ending]);
    translit(word, latin, sizeof latin);
  }
  make_inn(r, c->inn_region, ip, inn);
  set(&s, "name", name);
  set(&s, "legal_name", legal);
  set(&s, "tax_id", inn);
  set(&s, "industry", ind->name);
  int employees = ip ? between(r, 1, 9) : between(r, 5, 900);
  set(&s, "size", employees < 15 ? "micro" : employees < 100 ? "small" : employees < 250 ? "medium"
                                                                                        : "large");
  setf(&s, "employees", "%d", employees);
  setf(&s, "turnover", "%d000000.00", employees * between(r, 2, 9));
  set(&s, "country", "Россия");
  set(&s, "region", c->region);
  set(&s, "city", c->name);
  setf(&s, "street", "%s, д. %d", ONE_OF(r, streets), between(r, 1, 120));
  city_phone(c, i, phone, sizeof phone);
  set(&s, "phone", phone);
  if (chance(r, 30)) {
    city_phone(c, i + 5000, phone, sizeof phone);
    set(&s, "phone2", phone);
  }
  setf(&s, "email", "info@%s-%d.ru", latin, i);
  setf(&s, "site", "https://www.%s-%d.ru", latin, i);
  set(&s, "work_hours", chance(r, 70) ? "Пн–Пт 9:00–18:00" : "Пн–Сб 8:00–20:00");
  set(&s, "channel", chance(r, 60) ? "phone" : chance(r, 60) ? "email" : "visit");

  /* what kind of client, and what the card says about it */
  int roll = pick(r, 100);
  kind k = roll < 30 ? K_REGULAR : roll < 50 ? K_LAPSING : roll < 70 ? K_ONEOFF
           : roll < 85 ? K_PROSPECT : K_COLD;
  long base = (long)between(r, 15, 400) * 1000;
  bool vip = k == K_REGULAR && chance(r, 25);
  if (vip) base *= 4;
  set(&s, "temperature", k == K_COLD ? "cold" : k == K_PROSPECT ? "hot" : "warm");
  set(&s, "color", vip ? (chance(r, 50) ? "gold" : "platinum")
                   : k == K_REGULAR ? "green" : k == K_LAPSING ? "yellow" : "white");
  set(&s, "stage", k == K_PROSPECT ? "0.7" : k == K_COLD ? "0.5" : "1.0");
  if (k == K_LAPSING) set(&s, "comment", "Раньше покупали регулярно — выяснить, почему пропали.");
  /* segments (tags) from what was drawn already, so the base stays the same for a seed */
  setf(&s, "tags", "%s%s%s", vip ? "VIP, " : "", i % 3 == 0 ? "Опт" : "Розница",
       k == K_REGULAR ? ", Постоянный" : k == K_LAPSING ? ", Вернуть" : "");
  char org[KT_UUID_STRLEN + 1];
  int rc = add(d, "org", &s, org, &d->st.orgs);
  if (rc) return rc;

  /* contacts: one to three people */
  char contact[3][KT_UUID_STRLEN + 1] = {{0}};
  int ncontacts = between(r, 1, 3);
  for (int j = 0; j < ncontacts; j++) {
    sets p = {0};
    bool female = chance(r, 50);
    const person_name *sn = &surnames[pick(r, COUNT(surnames))];
    const char *first = female ? ONE_OF(r, female_first) : ONE_OF(r, male_first);
    const person_name *pat = &patronymics[pick(r, COUNT(patronymics))];
    set(&p, "last_name", female ? sn->f : sn->m);
    set(&p, "first_name", first);
    set(&p, "middle_name", female ? pat->f : pat->m);
    set(&p, "position", j == 0 ? (ip ? "Владелец" : "Генеральный директор")
                               : positions[1 + pick(r, COUNT(positions) - 1)]);
    set(&p, "org", org);
    set(&p, "gender", female ? "female" : "male");
    set(&p, "city", c->name);
    int who = i * 3 + j;
    mobile_phone(who, phone, sizeof phone);
    set(&p, "phone_mobile", phone);
    if (chance(r, 40)) {
      city_phone(c, 20000 + who, phone, sizeof phone);
      set(&p, "phone_work", phone);
    }
    char lf[40], ll[40];
    translit(first, lf, sizeof lf);
    translit(female ? sn->f : sn->m, ll, sizeof ll);
    setf(&p, "email", "%c.%s%s@%s-%d.ru", lf[0], ll, j ? (j == 1 ? "2" : "3") : "", latin, i);
    /* a birthday for most; a few this week, so today's list has some */
    if (chance(r, 70)) {
      int year = between(r, 1960, 2000);
      char day[16];
      if (who % 97 == 0 || who % 89 == 0) day_str(d, who % 97 == 0 ? 0 : between(r, 1, 6), day,
                                                  sizeof day);
      else day_str(d, between(r, -180, 180), day, sizeof day);
      setf(&p, "birthday", "%04d%s", year, day + 4);
    }
    rc = add(d, "contact", &p, contact[j], &d->st.contacts);
    if (rc) return rc;
  }
  const char *who = contact[pick(r, ncontacts)];

  /* deals over three years */
  int first = -between(r, 400, 3 * 365);
  switch (k) {
  case K_REGULAR:
  case K_LAPSING: {
    int until = k == K_REGULAR ? -between(r, 0, 40) : -between(r, 150, 420);
    int every = between(r, 20, 75);
    for (int day = first; day <= until && !rc; day += every + between(r, -5, 5)) {
      long amount = base + (long)between(r, -30, 60) * (base / 100);
      rc = deal(d, org, who, day, amount);
      if (!rc && chance(r, 30))
        rc = event(d, "call", ONE_OF(r, call_topics), org, who, day - between(r, 1, 5),
                   between(r, 10, 17), "done", chance(r, 70) ? "order" : "agreed");
    }
    break;
  }
  case K_ONEOFF:
    rc = deal(d, org, who, -between(r, 30, 3 * 365), base);
    break;
  case K_PROSPECT: {
    sets q = {0};
    char day[16];
    day_str(d, -between(r, 1, 30), day, sizeof day);
    set(&q, "date", day);
    setf(&q, "amount", "%ld.00", base);
    set(&q, "state", "quote");
    set(&q, "org", org);
    set(&q, "contact", who);
    set(&q, "comment", "Коммерческое предложение отправлено");
    rc = add(d, "deal", &q, NULL, &d->st.deals);
    break;
  }
  case K_COLD:
    break;
  }
  if (rc) return rc;

  /* the diary around today */
  if ((k == K_PROSPECT && chance(r, 30)) || (k == K_REGULAR && chance(r, 12)))
    rc = event(d, "call", ONE_OF(r, call_topics), org, who, 0, between(r, 9, 17), "planned",
               NULL);
  else if (k == K_LAPSING && chance(r, 25))
    rc = event(d, "call", "Выяснить, почему перестали заказывать", org, who,
               -between(r, 1, 5), between(r, 10, 16), "planned", NULL); /* overdue */
  else if (chance(r, 12))
    rc = event(d, "meeting", "Встреча в офисе клиента", org, who, between(r, 1, 10),
               between(r, 10, 16), "planned", NULL);
  if (!rc && chance(r, 20))
    rc = event(d, "call", "Перезвонить по предложению", org, who, -between(r, 3, 20),
               between(r, 10, 17), "done", "call_back");
  if (!rc && chance(r, 14)) rc = task(d, org, between(r, -3, 14), "open");
  if (!rc && chance(r, 10)) rc = task(d, org, -between(r, 10, 60), "done");
  if (!rc && chance(r, 15)) {
    sets n = {0};
    set(&n, "title", "Заметка о клиенте");
    set(&n, "text", ONE_OF(r, note_texts));
    set(&n, "org", org);
    rc = add(d, "note", &n, NULL, &d->st.notes);
  }
  return rc;
}

static int is_empty(cl_store *s, bool *empty, kt_err *err);

int cl_demo_fill(cl_store *s, uint64_t seed, int64_t now_ms, cl_demo_stats *st, kt_err *err) {
  demo d = {.s = s, .r = {seed ? seed : CL_DEMO_SEED}, .err = err};
  bool empty = false;
  int rc = is_empty(s, &empty, err);
  if (rc) return rc;
  if (!empty)
    return kt_err_set(err, KT_EEXISTS,
                      "the demo base fills only an empty card index and this one has cards; "
                      "make a new one: kartoteka --profile DIR init --local --demo");
  int64_t at = now_ms ? now_ms : (int64_t)kt_now_ms();
  time_t now = (time_t)(at / 1000);
  localtime_r(&now, &d.today);
  d.today.tm_hour = d.today.tm_min = d.today.tm_sec = 0;

  /* every stem/ending pair once, in a seeded order */
  int pairs[COUNT(stems) * COUNT(endings)];
  int npairs = COUNT(pairs);
  for (int i = 0; i < npairs; i++) pairs[i] = i;
  for (int i = npairs - 1; i > 0; i--) {
    int j = pick(&d.r, i + 1), t = pairs[i];
    pairs[i] = pairs[j];
    pairs[j] = t;
  }
  rc = cl_store_begin(s, err);
  if (rc) return rc;
  for (int i = 0; i < N_ORGS && !rc; i++)
    rc = one_org(&d, i, pairs[i] / COUNT(endings), pairs[i] % COUNT(endings));
  if (rc) {
    cl_store_rollback(s);
    return rc;
  }
  rc = cl_store_commit(s, err);
  if (!rc && st) *st = d.st;
  return rc;
}

static int stop_first(void *ud, const cl_rec *r) {
  (void)r;
  *(bool *)ud = false;
  return 1;
}

/* No card of any type the user works with (configuration and the server's
 * own records do not count). */
static int is_empty(cl_store *s, bool *empty, kt_err *err) {
  int n = 0;
  kt_mtype *types = kt_model_types(cl_store_model(s), &n);
  *empty = true;
  for (int i = 0; i < n && *empty; i++) {
    kt_mtype *t;
    if (types[i].def->flags & (KT_TF_CONFIG | KT_TF_SYSTEM) ||
        kt_model_type_get(cl_store_model(s), types[i].def->name, &t, NULL))
      continue;
    for (int trash = 0; trash < 2 && *empty; trash++) {
      cl_query q = {.type = types[i].def->name, .limit = 1, .trash = trash};
      int rc = cl_store_list(s, &q, stop_first, empty, err);
      if (rc < 0) return rc;
    }
  }
  return 0;
}
