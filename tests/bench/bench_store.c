/* bench_store — the numbers issue #2 asks for, measured in one run on the same
 * data (BENCH_N records, default 1,000,000; ~40% organizations, ~60% contacts
 * with realistic Russian field sizes, generated up front from a seeded PRNG so
 * that generation is never timed):
 *  (a) bulk insert through cl_store (row + field versions + outbox + search
 *      index) versus raw SQLite inserting the same rows in one transaction and
 *      then building the same two FTS5 indexes from the same folded text;
 *  (b) cl_store_search latency for Cyrillic name prefixes and phone fragments;
 *  (c) one interactive single-field edit (own transaction, commit included);
 *  (d) database bytes per record, with and without the version data.
 * Env: BENCH_N (records), BENCH_DIR (where the temporary files go; /tmp). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cl_store.h"
#include "kt_buf.h"
#include "kt_model.h"
#include "kt_text.h"

#define FTS_ROWID(tcode, rowid) (((int64_t)(tcode) << 40) | (int64_t)(rowid))

/* ---- deterministic PRNG (splitmix64) ------------------------------------------ */

static uint64_t g_seed = 0x6b617274u;

static uint64_t rnd(void) {
  uint64_t z = (g_seed += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static unsigned rn(unsigned n) { return (unsigned)(rnd() % n); }

#define NELEM(a) ((unsigned)(sizeof(a) / sizeof((a)[0])))
#define PICK(a) ((a)[rn(NELEM(a))])

/* ---- vocabulary ------------------------------------------------------------------ */

typedef struct surname {
  const char *m, *f, *lat;
} surname;

static const surname surnames[] = {
    {"Иванов", "Иванова", "ivanov"},       {"Смирнов", "Смирнова", "smirnov"},
    {"Кузнецов", "Кузнецова", "kuznetsov"}, {"Попов", "Попова", "popov"},
    {"Васильев", "Васильева", "vasiliev"},  {"Петров", "Петрова", "petrov"},
    {"Соколов", "Соколова", "sokolov"},     {"Михайлов", "Михайлова", "mikhailov"},
    {"Новиков", "Новикова", "novikov"},     {"Фёдоров", "Фёдорова", "fedorov"},
    {"Морозов", "Морозова", "morozov"},     {"Волков", "Волкова", "volkov"},
    {"Алексеев", "Алексеева", "alekseev"},  {"Лебедев", "Лебедева", "lebedev"},
    {"Семёнов", "Семёнова", "semenov"},     {"Егоров", "Егорова", "egorov"},
    {"Павлов", "Павлова", "pavlov"},        {"Козлов", "Козлова", "kozlov"},
    {"Степанов", "Степанова", "stepanov"},  {"Николаев", "Николаева", "nikolaev"},
    {"Орлов", "Орлова", "orlov"},           {"Андреев", "Андреева", "andreev"},
    {"Макаров", "Макарова", "makarov"},     {"Никитин", "Никитина", "nikitin"},
    {"Захаров", "Захарова", "zakharov"},    {"Зайцев", "Зайцева", "zaitsev"},
    {"Соловьёв", "Соловьёва", "soloviev"},  {"Борисов", "Борисова", "borisov"},
    {"Яковлев", "Яковлева", "yakovlev"},    {"Григорьев", "Григорьева", "grigoriev"},
    {"Романов", "Романова", "romanov"},     {"Воробьёв", "Воробьёва", "vorobiev"},
    {"Сергеев", "Сергеева", "sergeev"},     {"Кузьмин", "Кузьмина", "kuzmin"},
    {"Фролов", "Фролова", "frolov"},        {"Александров", "Александрова", "aleksandrov"},
    {"Дмитриев", "Дмитриева", "dmitriev"},  {"Королёв", "Королёва", "korolev"},
    {"Гусев", "Гусева", "gusev"},           {"Киселёв", "Киселёва", "kiselev"},
    {"Ильин", "Ильина", "ilyin"},           {"Максимов", "Максимова", "maksimov"},
    {"Поляков", "Полякова", "polyakov"},    {"Сорокин", "Сорокина", "sorokin"},
    {"Виноградов", "Виноградова", "vinogradov"}, {"Ковалёв", "Ковалёва", "kovalev"},
    {"Белов", "Белова", "belov"},           {"Медведев", "Медведева", "medvedev"},
    {"Антонов", "Антонова", "antonov"},     {"Тарасов", "Тарасова", "tarasov"},
    {"Жуков", "Жукова", "zhukov"},          {"Баранов", "Баранова", "baranov"},
    {"Филиппов", "Филиппова", "filippov"},  {"Комаров", "Комарова", "komarov"},
    {"Давыдов", "Давыдова", "davydov"},     {"Беляев", "Беляева", "belyaev"},
    {"Герасимов", "Герасимова", "gerasimov"}, {"Богданов", "Богданова", "bogdanov"},
    {"Осипов", "Осипова", "osipov"},        {"Сидоров", "Сидорова", "sidorov"},
    {"Матвеев", "Матвеева", "matveev"},     {"Титов", "Титова", "titov"},
    {"Марков", "Маркова", "markov"},        {"Миронов", "Миронова", "mironov"},
    {"Крылов", "Крылова", "krylov"},        {"Куликов", "Куликова", "kulikov"},
    {"Карпов", "Карпова", "karpov"},        {"Власов", "Власова", "vlasov"},
    {"Мельников", "Мельникова", "melnikov"}, {"Денисов", "Денисова", "denisov"},
    {"Гаврилов", "Гаврилова", "gavrilov"},  {"Тихонов", "Тихонова", "tikhonov"},
    {"Казаков", "Казакова", "kazakov"},     {"Афанасьев", "Афанасьева", "afanasiev"},
    {"Данилов", "Данилова", "danilov"},     {"Савельев", "Савельева", "saveliev"},
    {"Тимофеев", "Тимофеева", "timofeev"},  {"Фомин", "Фомина", "fomin"},
    {"Чернов", "Чернова", "chernov"},       {"Абрамов", "Абрамова", "abramov"},
    {"Мартынов", "Мартынова", "martynov"},  {"Ефимов", "Ефимова", "efimov"},
    {"Федотов", "Федотова", "fedotov"},     {"Щербаков", "Щербакова", "shcherbakov"},
    {"Назаров", "Назарова", "nazarov"},     {"Калинин", "Калинина", "kalinin"},
    {"Исаев", "Исаева", "isaev"},           {"Чернышёв", "Чернышёва", "chernyshev"},
    {"Быков", "Быкова", "bykov"},           {"Маслов", "Маслова", "maslov"},
    {"Родионов", "Родионова", "rodionov"},  {"Коновалов", "Коновалова", "konovalov"},
    {"Лазарев", "Лазарева", "lazarev"},     {"Воронин", "Воронина", "voronin"},
    {"Климов", "Климова", "klimov"},        {"Филатов", "Филатова", "filatov"},
    {"Пономарёв", "Пономарёва", "ponomarev"}, {"Голубев", "Голубева", "golubev"},
    {"Кудрявцев", "Кудрявцева", "kudryavtsev"}, {"Прохоров", "Прохорова", "prokhorov"},
    {"Наумов", "Наумова", "naumov"},        {"Потапов", "Потапова", "potapov"},
    {"Журавлёв", "Журавлёва", "zhuravlev"}, {"Овчинников", "Овчинникова", "ovchinnikov"},
    {"Трофимов", "Трофимова", "trofimov"},  {"Леонов", "Леонова", "leonov"},
    {"Соболев", "Соболева", "sobolev"},     {"Ермаков", "Ермакова", "ermakov"},
    {"Колесников", "Колесникова", "kolesnikov"}, {"Гончаров", "Гончарова", "goncharov"},
    {"Емельянов", "Емельянова", "emelyanov"}, {"Никифоров", "Никифорова", "nikiforov"},
    {"Грачёв", "Грачёва", "grachev"},       {"Котов", "Котова", "kotov"},
    {"Гришин", "Гришина", "grishin"},       {"Ефремов", "Ефремова", "efremov"},
    {"Архипов", "Архипова", "arkhipov"},    {"Громов", "Громова", "gromov"},
    {"Кириллов", "Кириллова", "kirillov"},  {"Малышев", "Малышева", "malyshev"},
    {"Панов", "Панова", "panov"},           {"Моисеев", "Моисеева", "moiseev"},
    {"Румянцев", "Румянцева", "rumyantsev"}, {"Акимов", "Акимова", "akimov"},
    {"Кондратьев", "Кондратьева", "kondratiev"}, {"Бирюков", "Бирюкова", "biryukov"},
    {"Горбунов", "Горбунова", "gorbunov"},  {"Анисимов", "Анисимова", "anisimov"},
    {"Ерёмин", "Ерёмина", "eremin"},        {"Тихомиров", "Тихомирова", "tikhomirov"},
    {"Галкин", "Галкина", "galkin"},        {"Лукьянов", "Лукьянова", "lukyanov"},
    {"Михеев", "Михеева", "mikheev"},       {"Скворцов", "Скворцова", "skvortsov"},
    {"Юдин", "Юдина", "yudin"},             {"Белоусов", "Белоусова", "belousov"},
    {"Нестеров", "Нестерова", "nesterov"},  {"Симонов", "Симонова", "simonov"},
    {"Прокофьев", "Прокофьева", "prokofiev"}, {"Харитонов", "Харитонова", "kharitonov"},
    {"Князев", "Князева", "knyazev"},       {"Цветков", "Цветкова", "tsvetkov"},
    {"Левин", "Левина", "levin"},           {"Митрофанов", "Митрофанова", "mitrofanov"},
    {"Воронов", "Воронова", "voronov"},     {"Аксёнов", "Аксёнова", "aksenov"},
    {"Софронов", "Софронова", "sofronov"},  {"Мальцев", "Мальцева", "maltsev"},
    {"Логинов", "Логинова", "loginov"},     {"Горшков", "Горшкова", "gorshkov"},
    {"Савин", "Савина", "savin"},           {"Краснов", "Краснова", "krasnov"},
    {"Майоров", "Майорова", "mayorov"},     {"Демидов", "Демидова", "demidov"},
    {"Елисеев", "Елисеева", "eliseev"},     {"Рыбаков", "Рыбакова", "rybakov"},
    {"Сафонов", "Сафонова", "safonov"},     {"Плотников", "Плотникова", "plotnikov"},
    {"Суворов", "Суворова", "suvorov"},     {"Шубин", "Шубина", "shubin"},
    {"Карасёв", "Карасёва", "karasev"},     {"Дьячков", "Дьячкова", "dyachkov"},
};

typedef struct given {
  const char *name, *lat, *pat_m, *pat_f; /* patronymics derived from a male name */
} given;

static const given male[] = {
    {"Александр", "aleksandr", "Александрович", "Александровна"},
    {"Алексей", "aleksei", "Алексеевич", "Алексеевна"},
    {"Андрей", "andrei", "Андреевич", "Андреевна"},
    {"Артём", "artem", "Артёмович", "Артёмовна"},
    {"Борис", "boris", "Борисович", "Борисовна"},
    {"Вадим", "vadim", "Вадимович", "Вадимовна"},
    {"Валерий", "valery", "Валерьевич", "Валерьевна"},
    {"Василий", "vasily", "Васильевич", "Васильевна"},
    {"Виктор", "viktor", "Викторович", "Викторовна"},
    {"Владимир", "vladimir", "Владимирович", "Владимировна"},
    {"Вячеслав", "vyacheslav", "Вячеславович", "Вячеславовна"},
    {"Геннадий", "gennady", "Геннадьевич", "Геннадьевна"},
    {"Георгий", "georgy", "Георгиевич", "Георгиевна"},
    {"Григорий", "grigory", "Григорьевич", "Григорьевна"},
    {"Дмитрий", "dmitry", "Дмитриевич", "Дмитриевна"},
    {"Евгений", "evgeny", "Евгеньевич", "Евгеньевна"},
    {"Егор", "egor", "Егорович", "Егоровна"},
    {"Иван", "ivan", "Иванович", "Ивановна"},
    {"Игорь", "igor", "Игоревич", "Игоревна"},
    {"Илья", "ilya", "Ильич", "Ильинична"},
    {"Кирилл", "kirill", "Кириллович", "Кирилловна"},
    {"Константин", "konstantin", "Константинович", "Константиновна"},
    {"Леонид", "leonid", "Леонидович", "Леонидовна"},
    {"Максим", "maksim", "Максимович", "Максимовна"},
    {"Михаил", "mikhail", "Михайлович", "Михайловна"},
    {"Никита", "nikita", "Никитич", "Никитична"},
    {"Николай", "nikolai", "Николаевич", "Николаевна"},
    {"Олег", "oleg", "Олегович", "Олеговна"},
    {"Павел", "pavel", "Павлович", "Павловна"},
    {"Пётр", "petr", "Петрович", "Петровна"},
    {"Роман", "roman", "Романович", "Романовна"},
    {"Сергей", "sergei", "Сергеевич", "Сергеевна"},
    {"Станислав", "stanislav", "Станиславович", "Станиславовна"},
    {"Степан", "stepan", "Степанович", "Степановна"},
    {"Тимур", "timur", "Тимурович", "Тимуровна"},
    {"Фёдор", "fedor", "Фёдорович", "Фёдоровна"},
    {"Юрий", "yury", "Юрьевич", "Юрьевна"},
    {"Ярослав", "yaroslav", "Ярославович", "Ярославовна"},
};

static const given female[] = {
    {"Анна", "anna", NULL, NULL},         {"Алла", "alla", NULL, NULL},
    {"Алина", "alina", NULL, NULL},       {"Анастасия", "anastasia", NULL, NULL},
    {"Валентина", "valentina", NULL, NULL}, {"Вера", "vera", NULL, NULL},
    {"Виктория", "viktoria", NULL, NULL}, {"Галина", "galina", NULL, NULL},
    {"Дарья", "daria", NULL, NULL},       {"Екатерина", "ekaterina", NULL, NULL},
    {"Елена", "elena", NULL, NULL},       {"Жанна", "zhanna", NULL, NULL},
    {"Зоя", "zoya", NULL, NULL},          {"Ирина", "irina", NULL, NULL},
    {"Кристина", "kristina", NULL, NULL}, {"Ксения", "ksenia", NULL, NULL},
    {"Лариса", "larisa", NULL, NULL},     {"Людмила", "lyudmila", NULL, NULL},
    {"Марина", "marina", NULL, NULL},     {"Мария", "maria", NULL, NULL},
    {"Надежда", "nadezhda", NULL, NULL},  {"Наталья", "natalia", NULL, NULL},
    {"Нина", "nina", NULL, NULL},         {"Оксана", "oksana", NULL, NULL},
    {"Ольга", "olga", NULL, NULL},        {"Полина", "polina", NULL, NULL},
    {"Светлана", "svetlana", NULL, NULL}, {"София", "sofia", NULL, NULL},
    {"Татьяна", "tatiana", NULL, NULL},   {"Юлия", "yulia", NULL, NULL},
};

typedef struct city {
  const char *name, *code; /* phone area code */
} city;

static const city cities[] = {
    {"Москва", "495"},         {"Москва", "499"},          {"Санкт-Петербург", "812"},
    {"Новосибирск", "383"},    {"Екатеринбург", "343"},    {"Казань", "843"},
    {"Нижний Новгород", "831"}, {"Челябинск", "351"},      {"Самара", "846"},
    {"Омск", "381"},           {"Ростов-на-Дону", "863"},  {"Уфа", "347"},
    {"Красноярск", "391"},     {"Воронеж", "473"},         {"Пермь", "342"},
    {"Волгоград", "844"},      {"Краснодар", "861"},       {"Саратов", "845"},
    {"Тюмень", "345"},         {"Тольятти", "848"},        {"Ижевск", "341"},
    {"Барнаул", "385"},        {"Ульяновск", "842"},       {"Иркутск", "395"},
    {"Хабаровск", "421"},      {"Ярославль", "485"},       {"Владивосток", "423"},
    {"Томск", "382"},          {"Оренбург", "353"},        {"Кемерово", "384"},
    {"Рязань", "491"},         {"Астрахань", "851"},       {"Пенза", "841"},
    {"Липецк", "474"},         {"Тула", "487"},            {"Киров", "833"},
    {"Калининград", "401"},    {"Курск", "471"},           {"Тверь", "482"},
    {"Архангельск", "818"},
};

static const char *const streets[] = {
    "ул. Ленина",          "ул. Советская",         "пр-т Мира",          "ул. Гагарина",
    "ул. Пушкина",         "ул. Садовая",           "ул. Молодёжная",     "ул. Школьная",
    "ул. Лесная",          "ул. Набережная",        "Ленинградский пр-т", "ул. Кирова",
    "ул. Первомайская",    "ул. Октябрьская",       "ул. Заводская",      "ул. Полевая",
    "ул. Маяковского",     "ул. Чехова",            "Комсомольский пр-т", "ул. Горького",
    "ул. Фрунзе",          "ул. Калинина",          "ул. Строителей",     "шоссе Энтузиастов",
    "ул. Профсоюзная",     "Варшавское шоссе",      "ул. Щорса",          "ул. Ломоносова",
    "ул. Новая",           "пер. Кузнечный",        "наб. Обводного канала", "ул. Дзержинского",
};

typedef struct word {
  const char *ru, *lat;
} word;

static const word org_adj[] = {
    {"Северный", "severny"},   {"Южный", "yuzhny"},       {"Восточный", "vostochny"},
    {"Западный", "zapadny"},   {"Новый", "novy"},         {"Первый", "pervy"},
    {"Главный", "glavny"},     {"Сибирский", "sibirsky"}, {"Уральский", "uralsky"},
    {"Волжский", "volzhsky"},  {"Балтийский", "baltiysky"}, {"Русский", "russky"},
    {"Центральный", "centralny"}, {"Городской", "gorodskoy"}, {"Технический", "tekhnichesky"},
    {"Торговый", "torgovy"},   {"Промышленный", "promyshlenny"}, {"Красный", "krasny"},
    {"Золотой", "zolotoy"},    {"Серебряный", "serebryany"}, {"Быстрый", "bystry"},
    {"Надёжный", "nadezhny"},  {"Большой", "bolshoy"},    {"Зелёный", "zeleny"},
    {"Тихий", "tikhy"},        {"Ясный", "yasny"},        {"Старый", "stary"},
    {"Медный", "medny"},       {"Северо-Западный", "szapadny"}, {"Дальневосточный", "dvostochny"},
};

static const word org_noun[] = {
    {"Ветер", "veter"},     {"Альянс", "alyans"},   {"Стандарт", "standart"},
    {"Проект", "proekt"},   {"Союз", "soyuz"},      {"Терминал", "terminal"},
    {"Капитал", "kapital"}, {"Транзит", "tranzit"}, {"Меридиан", "meridian"},
    {"Горизонт", "gorizont"}, {"Вектор", "vektor"}, {"Партнёр", "partner"},
    {"Двор", "dvor"},       {"Завод", "zavod"},     {"Комбинат", "kombinat"},
    {"Берег", "bereg"},     {"Путь", "put"},        {"Мост", "most"},
    {"Дом", "dom"},         {"Сервис", "servis"},   {"Холдинг", "kholding"},
    {"Ресурс", "resurs"},   {"Маяк", "mayak"},      {"Парус", "parus"},
    {"Кедр", "kedr"},       {"Бор", "bor"},         {"Рассвет", "rassvet"},
    {"Монолит", "monolit"}, {"Источник", "istochnik"}, {"Градиент", "gradient"},
    {"Импульс", "impuls"},  {"Регион", "region"},   {"Поток", "potok"},
    {"Сплав", "splav"},     {"Старт", "start"},     {"Квадрат", "kvadrat"},
};

static const char *const org_forms[] = {"ООО", "ООО", "ООО", "ООО", "АО", "ЗАО", "ПАО", "ТОО"};

static const char *const industries[] = {
    "Оптовая торговля",           "Розничная торговля",      "Строительство",
    "Грузоперевозки",             "Производство мебели",     "Пищевая промышленность",
    "Информационные технологии",  "Металлообработка",        "Сельское хозяйство",
    "Медицинские услуги",         "Образование",             "Консалтинг",
    "Реклама и маркетинг",        "Недвижимость",            "Бухгалтерские услуги",
    "Юридические услуги",         "Туризм",                  "Общественное питание",
    "Логистика и склады",         "Производство упаковки",   "Полиграфия",
    "Энергетика",                 "Автосервис",              "Клининговые услуги",
};

static const char *const positions[] = {
    "генеральный директор",   "коммерческий директор",     "финансовый директор",
    "главный бухгалтер",      "бухгалтер",                 "менеджер по продажам",
    "старший менеджер",       "руководитель отдела закупок", "специалист по закупкам",
    "инженер",                "главный инженер",           "юрист",
    "секретарь",              "офис-менеджер",             "начальник склада",
    "логист",                 "маркетолог",                "системный администратор",
    "заместитель директора",  "менеджер проекта",          "специалист отдела кадров",
};

static const char *const comment_words[] = {
    "звонить",     "после",      "обеда",      "просили",   "перезвонить",  "в",
    "понедельник", "интересует", "поставка",   "оборудования", "скидка",    "на",
    "следующий",   "квартал",    "договор",    "подписан",  "ждут",         "счёт",
    "отправили",   "коммерческое", "предложение", "по",     "почте",        "встреча",
    "в офисе",     "клиента",    "обсудили",   "условия",   "оплаты",       "отсрочка",
    "10 дней",     "контакт",    "через",      "секретаря", "лояльный",     "постоянный",
    "заказ",       "каждый",     "месяц",      "уточнить",  "реквизиты",    "доставка",
    "своими силами", "не",       "беспокоить", "до",        "сентября",     "важный",
};

static const char *const mail_domains[] = {"mail.ru", "yandex.ru", "gmail.com", "bk.ru",
                                           "inbox.ru", "rambler.ru", "list.ru"};

/* ---- generated data ------------------------------------------------------------------ */

enum { NSLOT = 12 };

typedef struct bfield {
  const char *name;
} bfield;

/* The fields each generated type fills, in slot order. */
static const char *const org_slots[NSLOT] = {"name",  "tax_id", "industry", "city",
                                             "street", "phone", "phone2",  "email",
                                             "site",  "comment", NULL,     NULL};
static const char *const contact_slots[NSLOT] = {
    "last_name", "first_name", "middle_name", "position", "phone_work", "phone_mobile",
    "email",     "city",       "birthday",    "comment",  "org",        NULL};
enum { C_ORG_SLOT = 10 };

typedef struct brec {
  uint8_t is_contact;
  int32_t org; /* contacts: index of an earlier org record, -1 = none */
  uint32_t off[NSLOT]; /* offset+1 into the arena; 0 = unset */
} brec;

typedef struct arena {
  char *p;
  size_t len, cap;
} arena;

static uint32_t arena_put(arena *a, const char *s) {
  size_t n = strlen(s) + 1;
  if (a->len + n > a->cap) {
    a->cap = a->cap ? a->cap * 2 : (1u << 24);
    a->p = realloc(a->p, a->cap);
    if (!a->p) {
      fprintf(stderr, "bench: out of memory\n");
      exit(1);
    }
  }
  memcpy(a->p + a->len, s, n);
  a->len += n;
  if (a->len > UINT32_MAX) {
    fprintf(stderr, "bench: arena too big\n");
    exit(1);
  }
  return (uint32_t)(a->len - n + 1);
}

static const char *slot(const arena *a, const brec *r, int k) {
  return r->off[k] ? a->p + r->off[k] - 1 : NULL;
}

static void gen_phone(char *out, size_t n, const char *code, bool mobile) {
  char area[8];
  if (mobile) snprintf(area, sizeof area, "9%02u", rn(100));
  else snprintf(area, sizeof area, "%s", code);
  unsigned a = rn(1000), b = rn(100), c = rn(100);
  switch (rn(8)) {
  case 0:
    snprintf(out, n, "8 (%s) %03u-%02u-%02u", area, a, b, c);
    break;
  case 1:
    snprintf(out, n, "+7 %s %03u %02u %02u", area, a, b, c);
    break;
  default:
    snprintf(out, n, "+7 (%s) %03u-%02u-%02u", area, a, b, c);
  }
}

static size_t utf8_chars(const char *s) {
  size_t n = 0;
  for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
  return n;
}

static void gen_comment(char *out, size_t n) {
  size_t target = 40 + rn(81), len = 0;
  out[0] = '\0';
  bool cap = true;
  while (utf8_chars(out) < target) {
    const char *w = PICK(comment_words);
    if (utf8_chars(out) + utf8_chars(w) + 1 > 120 && utf8_chars(out) >= 40) break;
    len = strlen(out);
    if (len + strlen(w) + 3 >= n) break;
    if (len) out[len++] = ' ';
    strcpy(out + len, w);
    if (cap && (unsigned char)out[len] == 0xD0 && (unsigned char)out[len + 1] >= 0xB0) {
      out[len + 1] = (char)((unsigned char)out[len + 1] - 0x20); /* а-п -> А-П */
      cap = false;
    }
    cap = false;
  }
  strcat(out, ".");
}

static void gen_org(arena *a, brec *r) {
  char b[512], mail[128];
  const city *c = &PICK(cities);
  r->is_contact = 0;
  r->org = -1;
  if (rn(10) < 2) { /* ИП Иванов И.И. */
    const surname *s = &PICK(surnames);
    const given *g = &PICK(male);
    const given *p = &PICK(male);
    char gi[8] = {0}, pi[8] = {0};
    memcpy(gi, g->name, 2);
    memcpy(pi, p->name, 2);
    snprintf(b, sizeof b, "ИП %s %s.%s.", s->m, gi, pi);
    snprintf(mail, sizeof mail, "%s.%c%c@%s", s->lat, g->lat[0], p->lat[0], PICK(mail_domains));
  } else {
    const word *adj = &PICK(org_adj), *noun = &PICK(org_noun);
    snprintf(b, sizeof b, "%s \"%s %s\"", PICK(org_forms), adj->ru, noun->ru);
    snprintf(mail, sizeof mail, "%s@%s%s%u.ru", rn(2) ? "info" : "office", adj->lat, noun->lat,
             rn(1000));
  }
  r->off[0] = arena_put(a, b);
  snprintf(b, sizeof b, "%010llu", (unsigned long long)(rnd() % 10000000000ull));
  r->off[1] = arena_put(a, b);
  r->off[2] = arena_put(a, PICK(industries));
  r->off[3] = arena_put(a, c->name);
  snprintf(b, sizeof b, "%s, д. %u, оф. %u", PICK(streets), 1 + rn(150), 1 + rn(900));
  r->off[4] = arena_put(a, b);
  gen_phone(b, sizeof b, c->code, false);
  r->off[5] = arena_put(a, b);
  if (rn(10) < 3) {
    gen_phone(b, sizeof b, c->code, rn(2));
    r->off[6] = arena_put(a, b);
  }
  r->off[7] = arena_put(a, mail);
  if (rn(2)) {
    const char *at = strchr(mail, '@');
    snprintf(b, sizeof b, "https://www.%s", at + 1);
    r->off[8] = arena_put(a, b);
  }
  gen_comment(b, sizeof b);
  r->off[9] = arena_put(a, b);
}

static void gen_contact(arena *a, brec *r, const int32_t *orgs, size_t norgs) {
  char b[512];
  const surname *s = &PICK(surnames);
  bool fem = rn(2);
  const given *g = fem ? &PICK(female) : &PICK(male);
  const given *p = &PICK(male);
  const city *c = &PICK(cities);
  r->is_contact = 1;
  r->org = norgs && rn(10) < 8 ? orgs[rn((unsigned)norgs)] : -1;
  r->off[0] = arena_put(a, fem ? s->f : s->m);
  r->off[1] = arena_put(a, g->name);
  r->off[2] = arena_put(a, fem ? p->pat_f : p->pat_m);
  r->off[3] = arena_put(a, PICK(positions));
  gen_phone(b, sizeof b, c->code, false);
  r->off[4] = arena_put(a, b);
  gen_phone(b, sizeof b, c->code, true);
  r->off[5] = arena_put(a, b);
  snprintf(b, sizeof b, "%s.%s%s@%s", g->lat, s->lat, fem ? "a" : "", PICK(mail_domains));
  r->off[6] = arena_put(a, b);
  r->off[7] = arena_put(a, c->name);
  snprintf(b, sizeof b, "%04u-%02u-%02u", 1950 + rn(55), 1 + rn(12), 1 + rn(28));
  r->off[8] = arena_put(a, b);
  if (rn(10) < 4) {
    gen_comment(b, sizeof b);
    r->off[9] = arena_put(a, b);
  }
}

/* ---- helpers ---------------------------------------------------------------------------- */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const kt_err *e) {
  fprintf(stderr, "bench_store: %s: %s\n", what, e ? e->msg : "");
  exit(1);
}

static void exec_or_die(sqlite3 *db, const char *sql) {
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    fprintf(stderr, "bench_store: %s: %s\n", sql, msg ? msg : "");
    exit(1);
  }
}

static int64_t query_int(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st;
  int64_t v = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
    fprintf(stderr, "bench_store: %s: %s\n", sql, sqlite3_errmsg(db));
    exit(1);
  }
  if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

/* Bytes the database holds (pages in use), WAL checkpointed or not. */
static int64_t db_bytes(sqlite3 *db) {
  return (query_int(db, "PRAGMA page_count") - query_int(db, "PRAGMA freelist_count")) *
         query_int(db, "PRAGMA page_size");
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void print_lat(const char *what, double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  printf("  %-22s p50 %7.3f ms   p99 %7.3f ms   max %7.3f ms   (n=%d)\n", what, v[n / 2] * 1e3,
         v[(int)((double)n * 0.99)] * 1e3, v[n - 1] * 1e3, n);
}

/* Variadic SQL helpers for the raw baseline: the same folding and phone
 * normalisation the store applies, joined the same way (build_body/build_phones). */
static void sql_body(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  kt_buf b = KT_BUF_INIT;
  for (int i = 0; i < argc; i++) {
    if (sqlite3_value_type(argv[i]) != SQLITE_TEXT) continue;
    if (b.len) kt_buf_putc(&b, ' ');
    kt_text_fold((const char *)sqlite3_value_text(argv[i]), (size_t)sqlite3_value_bytes(argv[i]),
                 &b);
  }
  if (b.len) sqlite3_result_text(ctx, b.p, (int)b.len, SQLITE_TRANSIENT);
  else sqlite3_result_null(ctx);
  kt_buf_free(&b);
}

static void sql_phones(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  kt_buf b = KT_BUF_INIT;
  for (int i = 0; i < argc; i++) {
    if (sqlite3_value_type(argv[i]) != SQLITE_TEXT) continue;
    char digits[40];
    if (kt_phone_normalize((const char *)sqlite3_value_text(argv[i]), "7", digits,
                           sizeof digits) <= 0)
      continue;
    if (b.len) kt_buf_putc(&b, ' ');
    kt_buf_puts(&b, digits);
  }
  if (b.len) sqlite3_result_text(ctx, b.p, (int)b.len, SQLITE_TRANSIENT);
  else sqlite3_result_null(ctx);
  kt_buf_free(&b);
}

/* ---- the benchmark ---------------------------------------------------------------------- */

typedef struct tinfo {
  kt_mtype *t;
  const char *const *slots;
  int pos[NSLOT]; /* model field position of each slot */
} tinfo;

typedef struct walk_ctx {
  size_t n, bytes;
} walk_ctx;

static int on_hit(void *ud, const cl_rec *r) {
  walk_ctx *w = ud;
  w->n++;
  w->bytes += strlen(cl_rec_id(r));
  return 0;
}

int main(void) {
  long n = 1000000;
  const char *env = getenv("BENCH_N");
  if (env && *env) n = strtol(env, NULL, 10);
  if (n < 1000) n = 1000;
  const char *dir_env = getenv("BENCH_DIR");
  char dir[256];
  snprintf(dir, sizeof dir, "%s/kt-bench-XXXXXX", dir_env && *dir_env ? dir_env : "/tmp");
  if (!mkdtemp(dir)) {
    fprintf(stderr, "bench_store: mkdtemp: %s\n", strerror(errno));
    return 1;
  }
  char path_a[300], path_b[300];
  snprintf(path_a, sizeof path_a, "%s/store.db", dir);
  snprintf(path_b, sizeof path_b, "%s/raw.db", dir);

  /* generate the data (not timed) */
  double t0 = now_s();
  arena ar = {0};
  brec *recs = calloc((size_t)n, sizeof *recs);
  int32_t *orgs = malloc((size_t)n * sizeof *orgs);
  if (!recs || !orgs) die("out of memory", NULL);
  size_t norgs = 0;
  for (long i = 0; i < n; i++) {
    if (i < 10 || rn(100) < 40) {
      gen_org(&ar, &recs[i]);
      orgs[norgs++] = (int32_t)i;
    } else {
      gen_contact(&ar, &recs[i], orgs, norgs);
    }
  }
  printf("bench_store: %ld records (%zu organizations, %ld contacts), %.1f MB of field text, "
         "generated in %.1f s\n",
         n, norgs, n - (long)norgs, (double)ar.len / 1e6, now_s() - t0);

  /* (a) path A: through the library */
  kt_err err;
  if (cl_store_create(path_a, "bench", "local", NULL, &err)) die("create", &err);
  cl_store *s;
  cl_open_opts oo = {.locale = "ru"};
  if (cl_store_open(path_a, &oo, &s, &err)) die("open", &err);
  kt_model *m = cl_store_model(s);
  tinfo ti[2] = {{kt_model_type(m, "org"), org_slots, {0}},
                 {kt_model_type(m, "contact"), contact_slots, {0}}};
  for (int k = 0; k < 2; k++)
    for (int j = 0; j < NSLOT; j++) {
      ti[k].pos[j] = -1;
      if (!ti[k].slots[j]) continue;
      kt_mfield *f = kt_mtype_field(ti[k].t, ti[k].slots[j]);
      if (!f) die(ti[k].slots[j], NULL);
      ti[k].pos[j] = ti[k].t->pos[f->vidx];
    }
  char(*ids)[KT_UUID_STRLEN + 1] = malloc((size_t)n * sizeof *ids);
  int64_t *created = malloc((size_t)n * sizeof *created);
  int64_t *rowids = malloc((size_t)n * sizeof *rowids);
  cl_rec *rr[2] = {cl_rec_new(ti[0].t), cl_rec_new(ti[1].t)};
  if (!ids || !created || !rowids || !rr[0] || !rr[1]) die("out of memory", NULL);

  double a0 = now_s();
  if (cl_store_begin(s, &err)) die("begin", &err);
  for (long i = 0; i < n; i++) {
    const brec *b = &recs[i];
    tinfo *t = &ti[b->is_contact];
    cl_rec *r = rr[b->is_contact];
    for (int k = 0; k < t->t->nfields; k++) kt_value_clear(&r->v[k]);
    for (int j = 0; j < NSLOT; j++) {
      const char *v = slot(&ar, b, j);
      if (v && kt_value_set_text(&r->v[t->pos[j]], v, strlen(v))) die("out of memory", NULL);
    }
    if (b->is_contact && b->org >= 0)
      kt_value_set_text(&r->v[t->pos[C_ORG_SLOT]], ids[b->org], KT_UUID_STRLEN);
    if (cl_store_add_rec(s, r, &err)) die("add", &err);
    memcpy(ids[i], cl_rec_id(r), KT_UUID_STRLEN + 1);
    created[i] = r->v[KT_F_CREATED].i;
    rowids[i] = r->rowid;
  }
  if (cl_store_commit(s, &err)) die("commit", &err);
  double ta = now_s() - a0;
  cl_rec_free(rr[0]);
  cl_rec_free(rr[1]);

  /* (a) path B: raw SQLite, same rows, same pragmas, same FTS definitions */
  sqlite3 *db;
  if (sqlite3_open(path_b, &db) != SQLITE_OK) die("open raw", NULL);
  exec_or_die(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA temp_store=MEMORY; "
                  "PRAGMA cache_size=-65536;");
  sqlite3_create_function(db, "bench_body", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_body,
                          NULL, NULL);
  sqlite3_create_function(db, "bench_phones", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                          sql_phones, NULL, NULL);
  {
    sqlite3 *sa = cl_store_sqlite(s);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(sa, "SELECT sql FROM sqlite_master WHERE name IN ('fts', 'fts_phone')",
                           -1, &st, NULL) != SQLITE_OK)
      die("schema", NULL);
    while (sqlite3_step(st) == SQLITE_ROW) exec_or_die(db, (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
  }
  sqlite3_stmt *ins[2];
  kt_buf body_sql[2] = {KT_BUF_INIT, KT_BUF_INIT}, phone_sql[2] = {KT_BUF_INIT, KT_BUF_INIT};
  for (int k = 0; k < 2; k++) {
    kt_mtype *t = ti[k].t;
    kt_buf sql = KT_BUF_INIT, cols = KT_BUF_INIT, qs = KT_BUF_INIT, bcols = KT_BUF_INIT,
           pcols = KT_BUF_INIT;
    kt_buf_printf(&sql, "CREATE TABLE b_%s (rowid INTEGER PRIMARY KEY", t->def->name);
    for (int f = 0; f < t->nfields; f++) {
      const kt_mfield *mf = &t->fields[f];
      kt_buf_printf(&sql, ", \"%s\" %s", mf->column, kt_ftype_is_int(mf->type) ? "INTEGER" : "TEXT");
      kt_buf_printf(&cols, "%s\"%s\"", f ? ", " : "", mf->column);
      kt_buf_printf(&qs, "%s?", f ? ", " : "");
      if ((mf->flags & KT_FF_SEARCH) && !kt_ftype_is_int(mf->type))
        kt_buf_printf(&bcols, "%s\"%s\"", bcols.len ? ", " : "", mf->column);
      if (mf->type == KT_FT_PHONE) kt_buf_printf(&pcols, "%s\"%s\"", pcols.len ? ", " : "", mf->column);
    }
    kt_buf_puts(&sql, ")");
    exec_or_die(db, kt_buf_str(&sql));
    kt_buf_reset(&sql);
    kt_buf_printf(&sql, "INSERT INTO b_%s (%s) VALUES (%s)", t->def->name, kt_buf_str(&cols),
                  kt_buf_str(&qs));
    if (sqlite3_prepare_v2(db, kt_buf_str(&sql), -1, &ins[k], NULL) != SQLITE_OK)
      die(sqlite3_errmsg(db), NULL);
    kt_buf_printf(&body_sql[k],
                  "INSERT INTO fts(rowid, body) SELECT (%d << 40) | rowid, b FROM (SELECT rowid, "
                  "bench_body(%s) AS b FROM b_%s) WHERE b IS NOT NULL",
                  t->def->code, kt_buf_str(&bcols), t->def->name);
    kt_buf_printf(&phone_sql[k],
                  "INSERT INTO fts_phone(rowid, digits) SELECT (%d << 40) | rowid, d FROM (SELECT "
                  "rowid, bench_phones(%s) AS d FROM b_%s) WHERE d IS NOT NULL",
                  t->def->code, kt_buf_str(&pcols), t->def->name);
    kt_buf_free(&sql);
    kt_buf_free(&cols);
    kt_buf_free(&qs);
    kt_buf_free(&bcols);
    kt_buf_free(&pcols);
  }
  double b0 = now_s();
  exec_or_die(db, "BEGIN");
  for (long i = 0; i < n; i++) {
    const brec *b = &recs[i];
    tinfo *t = &ti[b->is_contact];
    sqlite3_stmt *st = ins[b->is_contact];
    const char *vals[KT_MAX_FIELDS] = {0};
    for (int j = 0; j < NSLOT; j++)
      if (t->pos[j] >= 0) vals[t->pos[j]] = slot(&ar, b, j);
    if (b->is_contact && b->org >= 0) vals[t->pos[C_ORG_SLOT]] = ids[b->org];
    vals[KT_F_ID] = ids[i];
    vals[KT_F_OWNER] = "bench";
    sqlite3_bind_int64(st, KT_F_CREATED + 1, created[i]);
    sqlite3_bind_int64(st, KT_F_UPDATED + 1, created[i]);
    sqlite3_bind_int(st, KT_F_DELETED + 1, 0);
    for (int k = 0; k < t->t->nfields; k++) {
      if (k == KT_F_CREATED || k == KT_F_UPDATED || k == KT_F_DELETED) continue;
      if (vals[k]) sqlite3_bind_text(st, k + 1, vals[k], -1, SQLITE_STATIC);
      else sqlite3_bind_null(st, k + 1);
    }
    if (sqlite3_step(st) != SQLITE_DONE) die(sqlite3_errmsg(db), NULL);
    sqlite3_reset(st);
  }
  exec_or_die(db, "COMMIT");
  double tb_rows = now_s() - b0;
  b0 = now_s();
  exec_or_die(db, "BEGIN");
  for (int k = 0; k < 2; k++) {
    exec_or_die(db, kt_buf_str(&body_sql[k]));
    exec_or_die(db, kt_buf_str(&phone_sql[k]));
  }
  exec_or_die(db, "COMMIT");
  double tb_fts = now_s() - b0;
  for (int k = 0; k < 2; k++) {
    sqlite3_finalize(ins[k]);
    kt_buf_free(&body_sql[k]);
    kt_buf_free(&phone_sql[k]);
  }
  double tb = tb_rows + tb_fts;
  printf("(a) insert %ld records\n", n);
  printf("  store (rows+versions+outbox+fts, 1 tx)  %8.2f s  %8.0f rec/s\n", ta, (double)n / ta);
  printf("  raw SQLite rows (1 tx)                  %8.2f s\n", tb_rows);
  printf("  raw SQLite FTS5 build (body + phones)   %8.2f s\n", tb_fts);
  printf("  raw total                               %8.2f s  %8.0f rec/s\n", tb, (double)n / tb);
  printf("  ratio store / raw                       %8.2fx  (goal <= 2x)\n", ta / tb);

  /* (b) search latency */
  enum { NQ = 1000 };
  double *lat = malloc(NQ * sizeof *lat);
  walk_ctx w = {0, 0};
  for (int i = 0; i < NQ; i++) {
    char q[64];
    const char *src;
    switch (rn(4)) {
    case 0:
      src = PICK(male).name;
      break;
    case 1:
      src = PICK(org_noun).ru;
      break;
    default:
      src = rn(2) ? PICK(surnames).m : PICK(surnames).f;
    }
    unsigned want = 2 + rn(4), bytes = 0, chars = 0;
    while (src[bytes] && chars < want) {
      bytes++;
      while (((unsigned char)src[bytes] & 0xC0) == 0x80) bytes++;
      chars++;
    }
    memcpy(q, src, bytes);
    q[bytes] = '\0';
    double q0 = now_s();
    if (cl_store_search(s, q, NULL, 50, false, on_hit, &w, &err)) die("search", &err);
    lat[i] = now_s() - q0;
  }
  printf("(b) search over %ld records (limit 50, results walked; %zu hits in all)\n", n, w.n);
  print_lat("name prefix 2-5 letters", lat, NQ);
  w.n = 0;
  for (int i = 0; i < NQ; i++) {
    const brec *b = &recs[rn((unsigned)n)];
    const char *ph = slot(&ar, b, b->is_contact ? 5 : 5);
    char digits[40], q[16];
    kt_phone_normalize(ph, "7", digits, sizeof digits);
    unsigned len = 3 + rn(5), nd = (unsigned)strlen(digits);
    unsigned start = 1 + rn(nd - len); /* skip the country code */
    memcpy(q, digits + start, len);
    q[len] = '\0';
    double q0 = now_s();
    if (cl_store_search(s, q, NULL, 50, false, on_hit, &w, &err)) die("search", &err);
    lat[i] = now_s() - q0;
  }
  print_lat("phone fragment 3-7 dig", lat, NQ);
  printf("  (%zu hits in all)\n", w.n);

  /* (c) interactive edits */
  for (int i = 0; i < NQ; i++) {
    long k = (long)rn((unsigned)n);
    cl_set set = {"city", PICK(cities).name};
    int changed;
    double q0 = now_s();
    if (cl_store_edit(s, ids[k], &set, 1, &changed, &err)) die("edit", &err);
    lat[i] = now_s() - q0;
  }
  printf("(c) single-field edit, own transaction (synchronous=FULL)\n");
  print_lat("cl_store_edit", lat, NQ);

  /* (d) size */
  sqlite3 *sa = cl_store_sqlite(s);
  exec_or_die(sa, "PRAGMA wal_checkpoint(TRUNCATE)");
  int64_t bytes_a = db_bytes(sa);
  int64_t ver = query_int(sa, "SELECT (SELECT total(length(ver)) FROM t_org) + "
                              "(SELECT total(length(ver)) FROM t_contact)");
  int64_t ob = query_int(sa, "SELECT total(length(fields)) + total(length(base)) FROM outbox");
  int64_t bytes_b = db_bytes(db);
  printf("(d) database size\n");
  printf("  store                   %8.1f MB  %6.0f B/record\n", (double)bytes_a / 1e6,
         (double)bytes_a / (double)n);
  printf("  store without ver blobs %8.1f MB  %6.0f B/record  (ver payload %.1f B/record)\n",
         (double)(bytes_a - ver) / 1e6, (double)(bytes_a - ver) / (double)n,
         (double)ver / (double)n);
  printf("  outbox payload          %8.1f MB  %6.1f B/record\n", (double)ob / 1e6,
         (double)ob / (double)n);
  printf("  raw baseline            %8.1f MB  %6.0f B/record\n", (double)bytes_b / 1e6,
         (double)bytes_b / (double)n);
  sqlite3_stmt *st;
  if (getenv("BENCH_DBSTAT") &&
      sqlite3_prepare_v2(sa,
                         "SELECT CASE WHEN name LIKE 'fts_phone%' THEN 'fts_phone' WHEN name LIKE "
                         "'fts%' THEN 'fts' WHEN name LIKE 'sqlite_autoindex_t_%' THEN 'id index' "
                         "WHEN name LIKE 't\\_%\\_%' ESCAPE '\\' AND name NOT IN ('t_field_def') "
                         "THEN 'other index' ELSE name END AS k, sum(pgsize) FROM dbstat GROUP BY "
                         "k ORDER BY 2 DESC",
                         -1, &st, NULL) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW)
      printf("    %-14s %8.1f MB  %6.1f B/record\n", sqlite3_column_text(st, 0),
             (double)sqlite3_column_int64(st, 1) / 1e6,
             (double)sqlite3_column_int64(st, 1) / (double)n);
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  cl_store_close(s);
  free(lat);
  free(ids);
  free(created);
  free(rowids);
  free(recs);
  free(orgs);
  free(ar.p);
  if (!getenv("BENCH_KEEP")) {
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) fprintf(stderr, "bench_store: could not remove %s\n", dir);
  } else {
    printf("  files kept in %s\n", dir);
  }
  return 0;
}
