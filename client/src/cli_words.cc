#include "cli_words.h"

#ifdef _WIN32
#include <windows.h>
#else
#include <sys/ioctl.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <cstdlib>

#include "dala/base/utf8.h"

namespace dala::client::cli {

namespace {

struct Row {
  const char* kk;
  const char* ru;
  const char* en;
};

// In the order of enum Say.
constexpr Row kRows[] = {
    // --- the interview
    {"Жауапты енгізіп, Enter басыңыз. Бос Enter — жауапты қалдыру; < — артқа; :save — черновикті сақтап шығу; "
     ":discard — черновикті жою; :clear — жауапты өшіру; ? — анықтама. Бағыт пернелері, Home және End жолды түзетеді; "
     "↑ — қазіргі жауап.",
     "Введите ответ и нажмите Enter. Пустой Enter — оставить ответ; < — назад; :save — сохранить черновик и выйти; "
     ":discard — удалить черновик; :clear — стереть ответ; ? — справка. Стрелки, Home и End правят строку; "
     "↑ — текущий ответ.",
     "Type an answer and press Enter. Empty Enter keeps the answer; < goes back; :save keeps a draft and stops; "
     ":discard deletes the draft; :clear erases the answer; ? shows this help. Arrow keys, Home and End edit the "
     "line; ↑ brings back the current answer."},
    {"Барлық сұрақтарға жауап берілді. Жазбаны қол қойып сақтау керек пе? [иә/жоқ]",
     "Все вопросы пройдены. Подписать и сохранить запись? [да/нет]",
     "All questions done. Sign and save the record? [yes/no]"},
    {"Сақталды", "Сохранено", "Saved"},
    {"Черновик сақталды", "Черновик сохранён", "Draft kept"},
    {"Черновик жойылды", "Черновик удалён", "Draft deleted"},
    {"Бұл — бірінші сұрақ.", "Это первый вопрос.", "This is the first question."},
    {"қазіргі жауап", "текущий ответ", "current answer"},
    {"Тағы қосу керек пе", "Добавить ещё", "Add another"},
    {"[иә/жоқ]", "[да/нет]", "[yes/no]"},
    {"Жазбада мәселелер бар:", "В записи есть проблемы:", "The record has problems:"},
    {"(жалғастыру үшін Enter басыңыз)", "(нажмите Enter, чтобы продолжить)", "(press Enter to continue)"},
    {"бүтін сан", "целое число", "whole number"},
    {"сан", "число", "number"},
    {"КК.АА.ЖЖЖЖ немесе ЖЖЖЖ-АА-КК", "ДД.ММ.ГГГГ или ГГГГ-ММ-ДД", "DD.MM.YYYY or YYYY-MM-DD"},
    {"СС:ММ", "ЧЧ:ММ", "HH:MM"},
    {"КК.АА.ЖЖЖЖ СС:ММ", "ДД.ММ.ГГГГ ЧЧ:ММ", "DD.MM.YYYY HH:MM"},
    {"ендік бойлық", "широта долгота", "latitude longitude"},
    {"бірнеше нөмір, бос орынмен", "несколько номеров через пробел", "several numbers, separated by spaces"},
    // --- passphrase and profile
    {"Құпия фраза: ", "Парольная фраза: ", "Passphrase: "},
    {"Осы ноутбук кілтіне құпия фраза ойлап табыңыз: ", "Придумайте парольную фразу для ключа этого ноутбука: ",
     "Choose a passphrase for this laptop's key: "},
    {"Құпия фразаны қайталаңыз: ", "Повторите парольную фразу: ", "Repeat the passphrase: "},
    {"екі құпия фраза сәйкес емес", "парольные фразы не совпадают", "the two passphrases differ"},
    {"құпия фраза қате", "неверная парольная фраза", "wrong passphrase"},
    {"{1} ішінде Dala профилі жоқ (алдымен `dala init` іске қосыңыз)",
     "в {1} нет профиля Dala (сначала выполните `dala init`)", "no Dala profile at {1} (run `dala init` first)"},
    {"{1} ішінде профиль бар; ол өзгертілмеді", "в {1} уже есть профиль; он не изменён",
     "a profile already exists at {1}; it is unchanged"},
    {"Dala профилі жасалды: {1}", "Профиль Dala создан: {1}", "Created the Dala profile in {1}"},
    {"Құрылғы кілті: {1}", "Ключ устройства: {1}", "Device key: {1}"},
    {"Құпия фразаны ұмытпаңыз: оны ешкім қалпына келтіре алмайды. Ұмытсаңыз, серверге жіберілген жазбалар "
     "сақталады, ал жіберілмегендері кілтпен бірге жоғалады; жаңа профиль жасап, үйлестірушіден жаңа код алу "
     "керек. `dala backup DIR` профильдің көшірмесін жасайды.",
     "Не забудьте парольную фразу: восстановить её нельзя. Если она забыта, записи, уже отправленные на сервер, "
     "в сохранности, а неотправленные пропадают вместе с ключом; нужно создать новый профиль и получить у "
     "координатора новый код. `dala backup DIR` делает копию профиля.",
     "Remember the passphrase: nobody can recover it. If it is forgotten, the records already synced are safe on "
     "the server, the unsynced ones are lost with the key, and a new profile is enrolled with a new code from "
     "your coordinator. `dala backup DIR` keeps a copy of the profile."},
    // --- records
    {"«{1}» жазба нөмірі емес (толық нөмірді немесе `dala list` көрсететін соңғы 8-32 он алтылық цифрды беріңіз)",
     "«{1}» — не номер записи (укажите весь номер или последние 8-32 шестнадцатеричных цифр, как в `dala list`)",
     "'{1}' is not a record id (give the whole id or its last 8 to 32 hex digits, as `dala list` shows them)"},
    {"бұл ноутбукта {1} жазбасы жоқ (`dala list` қараңыз)", "на этом ноутбуке нет записи {1} (см. `dala list`)",
     "no record {1} on this laptop (see `dala list`)"},
    {"«{1}» бірнеше жазбаға сәйкес келеді; көбірек таңба беріңіз",
     "«{1}» подходит к нескольким записям; укажите больше символов",
     "'{1}' matches several records; give more characters"},
    // --- the command line
    {"«{1}» деген команда жоқ", "нет команды «{1}»", "there is no command '{1}'"},
    {"«{1}» деп айтқыңыз келді ме?", "возможно, вы имели в виду «{1}»?", "did you mean `{1}`?"},
    // --- collect and edit
    {"жинайтын форманы атаңыз (`dala forms` қараңыз) немесе --draft N",
     "укажите форму (см. `dala forms`) или --draft N", "name a form to collect (see `dala forms`), or --draft N"},
    {"{1} черновигі жоқ (`dala drafts` қараңыз)", "нет черновика {1} (см. `dala drafts`)",
     "no draft {1} (see `dala drafts`)"},
    {"черновиктің формасы бұл ноутбукта енді жоқ", "формы черновика больше нет на этом ноутбуке",
     "the draft's form is no longer on this laptop"},
    {"{1} формасында «{2}» тілі жоқ (бар тілдер: {3})", "в форме {1} нет языка «{2}» (есть: {3})",
     "form {1} has no language '{2}' (it has: {3})"},
    {"{1} — дұрыс JSON емес: {2}", "{1} — не правильный JSON: {2}", "{1} is not valid JSON: {2}"},
    {"{1} файлы {2} формасына сәйкес емес:", "файл {1} не подходит к форме {2}:", "{1} does not fit form {2}:"},
    {"ескерту: {1} {2} формасы серверден емес, осы ноутбукта жүктелген; үйлестіруші дәл осы форманы "
     "жарияламайынша, сервер оның жазбаларын қабылдамайды",
     "предупреждение: форма {1} {2} загружена на этом ноутбуке, а не получена с сервера; сервер не примет её "
     "записи, пока координатор не опубликует именно эту форму",
     "warning: form {1} {2} was loaded on this laptop, not received from the server; the server will refuse its "
     "records until a coordinator publishes this exact form"},
    {"жауаптар {1} черновигінде сақталды", "ответы сохранены в черновике {1}", "the answers are kept as draft {1}"},
    {"{1} жазбасының формасы бұл ноутбукта жоқ", "формы записи {1} нет на этом ноутбуке",
     "the form of record {1} is not on this laptop"},
    {"--set АТЫ=МӘНІ түрінде болуы керек, «{1}» емес", "--set ожидает ИМЯ=ЗНАЧЕНИЕ, а не «{1}»",
     "--set wants NAME=VALUE, not '{1}'"},
    {"{1} формасында --set өзгерте алатын «{2}» сұрағы жоқ", "в форме {1} нет вопроса «{2}», который можно изменить --set",
     "form {1} has no question '{2}' that --set can change"},
    {"өзгеріс {1} формасына сәйкес емес:", "изменение не подходит к форме {1}:", "the edit does not fit form {1}:"},
    {"Өзгеріс жоқ; {1} жазбасы бұрынғыдай.", "Изменений нет; запись {1} осталась прежней.",
     "No changes; record {1} is as it was."},
    {"{1} жазбасын үйлестіруші {2} ({3}). Өзгерісті сақтасаңыз, жазба қайта тексеруге жіберіледі және бұл шешім "
     "күшін жояды.",
     "Запись {1} координатор {3} отметил(а): {2}. Если сохранить изменение, запись снова уйдёт на проверку и это "
     "решение потеряет силу.",
     "Record {1} was {2} by {3}. Saving a change sends it back for review: that decision will no longer stand."},
    {"Бәрібір сақтау керек пе? [иә/жоқ]", "Всё равно сохранить? [да/нет]", "Save the change anyway? [yes/no]"},
    {"{1} жазбасын үйлестіруші {2}; оны өзгерту бұл шешімді жояды. Бәрібір өзгерту үшін --yes қосыңыз",
     "запись {1} координатор отметил(а): {2}; изменение отменит это решение. Чтобы всё равно изменить, добавьте "
     "--yes",
     "record {1} was {2} by a coordinator; changing it undoes that decision. Add --yes to change it anyway"},
    {"Ештеңе өзгерген жоқ.", "Ничего не изменено.", "Nothing changed."},
    {"ескерту: ноутбук сағаты {1} көрсетеді, бұл dala-ның осы нұсқасы жасалған күннен ({2}) ерте.",
     "предупреждение: часы ноутбука показывают {1}, раньше, чем создана эта версия dala ({2}).",
     "warning: this laptop's clock says {1}, before this version of dala was made ({2})."},
    {"ескерту: ноутбук сағаты {1} көрсетеді, ал соңғы синхрондау кезінде сервер уақыты {2} болды.",
     "предупреждение: часы ноутбука показывают {1}, а при последней синхронизации на сервере было {2}.",
     "warning: this laptop's clock says {1}, but the server's time at the last sync was {2}."},
    {"ескерту: ноутбук сағаты {1} көрсетеді, бұл осы ноутбуктың ең соңғы жазбасынан ({2}) ерте.",
     "предупреждение: часы ноутбука показывают {1}, раньше самой новой записи на этом ноутбуке ({2}).",
     "warning: this laptop's clock says {1}, earlier than the newest record on this laptop ({2})."},
    {"Жазба осы күнмен қол қойылады: алдымен дұрыс күн мен уақытты орнатыңыз.",
     "Запись будет подписана этой датой: сначала установите правильные дату и время.",
     "The record will be signed with this date: set the correct date and time first."},
    // --- forms, drafts, list, show, verify
    {"Әзірге форма жоқ. `dala forms add FILE` арқылы қосыңыз немесе сервермен синхрондаңыз.",
     "Форм пока нет. Добавьте форму командой `dala forms add FILE` или синхронизируйтесь с сервером.",
     "No forms yet. Add one with `dala forms add FILE`, or sync with your server."},
    {"(жүктелмейді)", "(не загружается)", "(does not load)"},
    {"{1} қосылмады:", "{1} не добавлен:", "{1} was not added:"},
    {"{1} формасы қосылды, нұсқасы {2}", "Добавлена форма {1}, версия {2}", "Added form {1} version {2}"},
    {"{1} түрлендірілмеді:", "{1} не преобразован:", "{1} was not converted:"},
    {"{1} файлынан {2} жазылды", "{2} записан из {1}", "Wrote {2} from {1}"},
    {"Черновик жоқ.", "Черновиков нет.", "No drafts."},
    {"{1} түзетуі", "правка {1}", "edit of {1}"},
    {"сервер қабылдамады: {1}", "сервер отказал: {1}", "refused by the server: {1}"},
    {"Жалғастыру үшін: `dala collect --draft N`.", "Продолжить: `dala collect --draft N`.",
     "Resume one with `dala collect --draft N`."},
    {"Жазба жоқ.", "Записей нет.", "No records."},
    {"Түзетуге қайтарылған жазба жоқ.", "Записей, возвращённых на исправление, нет.",
     "No records sent back for correction."},
    {"НӨМІР", "НОМЕР", "ID"},
    {"ФОРМА", "ФОРМА ", "FORM"},
    {"ЖАСАЛДЫ", "СОЗДАНА", "CREATED"},
    {"СИНХРОН", "СИНХР.", "SYNC"},
    {"ТЕКСЕРУ", "ПРОВЕРКА", "REVIEW"},
    {"ҚЫСҚАША", "КРАТКО", "SUMMARY"},
    {"қабылданды", "получена", "received"},
    {"түзетуге қайтарылды", "на исправление", "has issues"},
    {"мақұлданды", "одобрена", "approved"},
    {"қабылданбады", "отклонена", "rejected"},
    {"тексерілмеген", "не проверена", "not reviewed"},
    {"(кейін өзгертілді)", "(изменена после решения)", "(changed since)"},
    {"{1} қайшылық", "{1} {1:конфликт|конфликта|конфликтов}", "{1} {1:conflict|conflicts|conflicts}"},
    {"жіберілді", "отправлена", "synced"},
    {"күтуде", "ожидает", "pending"},
    {"қабылданбады", "отказ", "refused"},
    {"Жазба    ", "Запись   ", "Record   "},
    {"Форма    ", "Форма    ", "Form     "},
    {"Жасалды  ", "Создана  ", "Created  "},
    {"Нұсқалар ", "Версии   ", "Revisions"},
    {"Тексеру  ", "Проверка ", "Review   "},
    {"{1} өрісінде қайшылық:", "конфликт в поле {1}:", "conflict in {1}:"},
    {"{2} жазбадағы {1} қолтаңба тексерілді; бұл ноутбук тізбегінде {3} буын бар.",
     "Проверено подписей: {1} в записях: {2}; в цепочке этого ноутбука звеньев: {3}.",
     "Checked {1} signed envelopes in {2} records; this laptop's chain has {3} links."},
    {"Барлық қолтаңба, нөмір, тізбек және жауап дұрыс.", "Все подписи, номера, цепочки и ответы верны.",
     "All signatures, ids, chains and answers verify."},
    {"тексеру сәтсіз: {1} мәселе (біріншісі: {2})",
     "проверка не пройдена: {1} {1:проблема|проблемы|проблем} (первая: {2})",
     "verification failed: {1} {1:problem|problems|problems} (first: {2})"},
    // --- sync and receipts
    {"бұл ноутбук серверге тіркелмеген (`dala enroll URL CODE` іске қосыңыз)",
     "этот ноутбук не зарегистрирован на сервере (выполните `dala enroll URL CODE`)",
     "this laptop is not enrolled with a server (run `dala enroll URL CODE`)"},
    {"ештеңе жоғалған жоқ, байланыс қалпына келгенде `dala sync` қайта іске қосыңыз",
     "ничего не потеряно, выполните `dala sync` снова, когда появится связь",
     "nothing is lost, run `dala sync` again when the link is back"},
    {"байланыс қалпына келгенде дәл осы `dala enroll` командасын қайта іске қосыңыз",
     "выполните ту же команду `dala enroll` снова, когда появится связь",
     "run the same `dala enroll` command again when the link is back"},
    {"синхрондау сәтсіз", "синхронизация не удалась", "sync failed"},
    {"!!! Сервер жазбаларды өзгерткен немесе жоғалтқан болуы мүмкін. Ноутбуктың түбіртектерін сақтаңыз\n"
     "!!! (`dala receipts --export DIR`) және аудиторға хабарлаңыз.",
     "!!! Сервер мог изменить или потерять записи. Сохраните квитанции этого ноутбука\n"
     "!!! (`dala receipts --export DIR`) и сообщите аудитору.",
     "!!! The server may have altered or dropped records. Keep this laptop's receipts\n"
     "!!! (`dala receipts --export DIR`) and tell your auditor."},
    {"Жіберілді: {1} жазба нұсқасы; алынды: {2} жаңарту және {3} форма; {4} алмасу ({5} байт жіберілді, {6} "
     "алынды).",
     "Отправлено {1} {1:версия записи|версии записей|версий записей}, получено {2} "
     "{2:обновление|обновления|обновлений} и {3} {3:форма|формы|форм} за {4} {4:обмен|обмена|обменов} ({5} байт "
     "отправлено, {6} получено).",
     "Sent {1} {1:record version|record versions|record versions}, received {2} {2:update|updates|updates} and {3} "
     "{3:form|forms|forms} in {4} {4:exchange|exchanges|exchanges} ({5} bytes up, {6} down)."},
    {"  {1} жазба нұсқасына қайта уақыт белгісі қойылды: олар ноутбук сағаты алға кеткенде жасалған.",
     "  {1} {1:версия записи заново помечена|версии записей заново помечены|версий записей заново помечены} "
     "временем: они сделаны, когда часы ноутбука спешили.",
     "  {1} {1:record version was|record versions were|record versions were} stamped again: they were made while "
     "this laptop's clock ran ahead."},
    {"(қайталанады)", "(будет повторено)", "(will retry)"},
    {"    Серверде бұл ноутбук жазбаларының басқа тарихы бар (ноутбук көшірмеден қалпына келтірілді ме?). Ештеңе "
     "жойылмады; қайта синхрондамас бұрын үйлестірушіден сұраңыз.",
     "    На сервере другая история записей этого ноутбука (ноутбук восстановлен из копии?). Ничего не удалено; "
     "спросите координатора, прежде чем синхронизироваться снова.",
     "    The server holds a different history of this laptop's records (was the laptop restored from a copy?). "
     "Nothing is deleted; ask your coordinator before syncing again."},
    {"  ✗ {1} жазбасын сервер қабылдамады ({2}).\n    Оның жауаптары {3} черновигінде: `dala collect --draft {3}` "
     "арқылы түзетіңіз.",
     "  ✗ сервер не принял запись {1} ({2}).\n    Её ответы сохранены в черновике {3}: исправьте их командой "
     "`dala collect --draft {3}`.",
     "  ✗ record {1} was refused by the server ({2}).\n    Its answers are kept as draft {3}: correct them with "
     "`dala collect --draft {3}`."},
    {"  Ноутбук сағаты сервердікінен шамамен {1} минут алда (сервер уақыты {2}). Дұрыс күн мен уақытты "
     "орнатыңыз.",
     "  Часы ноутбука спешат относительно сервера примерно на {1} мин. (время сервера {2}). Установите правильные "
     "дату и время.",
     "  This laptop's clock is ahead of the server's by about {1} minutes (server time {2}). Set the correct date "
     "and time."},
    {"  Ноутбук сағаты сервердікінен шамамен {1} минут артта (сервер уақыты {2}). Дұрыс күн мен уақытты "
     "орнатыңыз.",
     "  Часы ноутбука отстают от сервера примерно на {1} мин. (время сервера {2}). Установите правильные дату и "
     "время.",
     "  This laptop's clock is behind the server's by about {1} minutes (server time {2}). Set the correct date "
     "and time."},
    {"  ✗ қабылданбады: {1}", "  ✗ не принято: {1}", "  ✗ not taken in: {1}"},
    {"  ✗ … және тағы {1} қабылданбады", "  ✗ … и ещё {1} не принято", "  ✗ … and {1} more not taken in"},
    {"    Оның ешбірі сақталмады, синхрондаудың қалғаны жалғасты. Үйлестірушіге айтыңыз: сервер бұл ноутбук "
     "қабылдай алмайтын нәрсе жіберді.",
     "    Ничего из этого не сохранено, остальная синхронизация прошла. Сообщите координатору: сервер прислал то, "
     "что этот ноутбук принять не может.",
     "    Nothing of it was stored, and the rest of the sync went on. Tell your coordinator: the server sent "
     "something this laptop cannot accept."},
    {"{1} жазба түзетуге қайтарылды: `dala list --returned` қараңыз.",
     "{1} {1:запись возвращена|записи возвращены|записей возвращено} на исправление: см. `dala list --returned`.",
     "{1} {1:record was|records were|records were} sent back for correction: see `dala list --returned`."},
    {"барлық жазба қабылданған жоқ; жоғарыны қараңыз", "не все записи приняты; см. выше",
     "not every record was accepted; see above"},
    {"серверден келген жаңартулардың бәрі қабылданған жоқ; жоғарыны қараңыз",
     "не все обновления с сервера приняты; см. выше", "not every update from the server was taken in; see above"},
    {"{1}/{2} жіберілді", "{1}/{2} отправлено", "{1}/{2} sent"},
    {"{1} жасау мүмкін емес: {2}", "не удаётся создать {1}: {2}", "cannot create {1}: {2}"},
    {"{1} жазу мүмкін емес", "не удаётся записать {1}", "cannot write {1}"},
    {"{1} түбіртек {2} ішіне шығарылды", "{1} {1:квитанция выгружена|квитанции выгружены|квитанций выгружено} в {2}",
     "Exported {1} {1:receipt|receipts|receipts} to {2}"},
    {"Әзірге түбіртек жоқ: олар әр синхрондаумен келеді.", "Квитанций пока нет: они приходят с каждой синхронизацией.",
     "No receipts yet: they arrive with each sync."},
    {"АЛЫНДЫ", "ПОЛУЧЕНА", "RECEIVED"},
    {"ҚАМТИДЫ", "ОХВАТ", "COVERS"},
    {"ЖУРНАЛ ЖАЗБАСЫ", "ЗАПИСЬ ЖУРНАЛА", "LOG ENTRY"},
    {"ЖУРНАЛ КӨЛЕМІ", "РАЗМЕР ЖУРНАЛА", "LOG SIZE"},
    {"КОНВЕРТ", "КОНВЕРТ ", "ENVELOPE"},
    {"Әр түбіртек сервердің қол қойылған бақылау нүктесі арқылы конверттің журналда екенін дәлелдейді;\n"
     "құрылғы тізбегі оны осы ноутбуктың барлық бұрынғы жазбаларымен байланыстырады.",
     "Каждая квитанция доказывает подписанной контрольной точкой сервера, что конверт есть в журнале;\n"
     "цепочка устройства связывает его со всеми прежними записями этого ноутбука.",
     "Each receipt proves, under the server's signed checkpoint, that the envelope is in the log;\n"
     "the device chain links it to every earlier record of this laptop."},
    // --- backup and restore
    {"Профиль {1} ішіне көшірілді. Оны сақтаңыз: онда жазбаларыңыз бар (ішіндегі кілт құпия фразамен қорғалған).",
     "Профиль скопирован в {1}. Храните копию бережно: в ней ваши записи (ключ в ней защищён парольной фразой).",
     "Backed up the profile to {1}. Keep it safe: it holds your records (the key inside stays sealed by your "
     "passphrase)."},
    {"Профиль {1} көшірмесінен {2} ішіне қалпына келтірілді. Көшірмеден кейін жасалған жазбалар онда жоқ.",
     "Профиль восстановлен из {1} в {2}. Записей, сделанных после копии, в нём нет.",
     "Restored the profile from {1} into {2}. Records made after the backup are not in it."},
    {"{1} ішінде профиль бар: қалпына келтіру оны ауыстырмайды. Алдымен оны басқа жерге жылжытыңыз.",
     "в {1} уже есть профиль: восстановление его не заменяет. Сначала переместите его в другое место.",
     "a profile already exists at {1}: restoring never replaces one. Move it elsewhere first."},
    // --- dala ui
    {"Осы ноутбуктың браузерінде мына мекенжайды ашыңыз (тек осы компьютерде жұмыс істейді). Тоқтату: Ctrl-C.",
     "Откройте этот адрес в браузере этого ноутбука (работает только на этом компьютере). Остановить: Ctrl-C.",
     "Open this address in this laptop's browser (it works only on this computer). Stop with Ctrl-C."},
    {"127.0.0.1:{1} портын тыңдау мүмкін емес: {2}", "не удаётся открыть порт 127.0.0.1:{1}: {2}",
     "cannot listen on 127.0.0.1:{1}: {2}"},
    // --- enrolment and the network
    {"{1} серверіне {2} ерікті ретінде тіркелді.", "Зарегистрирован на {1} как волонтёр {2}.",
     "Enrolled with {1} as volunteer {2}."},
    {"Сервер кілті: {1}… ({2})", "Ключ сервера: {1}… ({2})", "Server key: {1}… ({2})"},
    {"Формаларды алу үшін `dala sync` іске қосыңыз.", "Выполните `dala sync`, чтобы получить формы.",
     "Run `dala sync` to receive the forms."},
    {"тіркеу сәтсіз", "регистрация не удалась", "enrolment failed"},
    {"  ✗ {1}-нұсқа: {2} — {3}", "  ✗ версия {1}: {2} — {3}", "  ✗ sequence {1}: {2} — {3}"},
    {"{1} серверіне қосылу мүмкін емес", "не удаётся связаться с сервером {1}", "cannot reach the server {1}"},
    {"сервер сертификаты {1} үшін емес (оны атайтын сертификат жасаңыз: dala-server tls init --host {1})",
     "сертификат сервера выдан не для {1} (сделайте сертификат с этим именем: dala-server tls init --host {1})",
     "the server's certificate is not for {1} (make one that names it: dala-server tls init --host {1})"},
    {"сервер сертификатына бұл компьютер сенетін орган қол қоймаған; сервер оны өзі жасаса (dala-server tls "
     "init), оның ca.pem файлын --ca арқылы беріңіз",
     "сертификат сервера не подписан центром, которому доверяет этот компьютер; если сервер сделал его сам "
     "(dala-server tls init), укажите его ca.pem через --ca",
     "the server's certificate is not signed by an authority this computer trusts; if the server made its own "
     "(dala-server tls init), give its ca.pem with --ca"},
    {"сертификатқа сіз берген CA қол қоймаған ({1})", "сертификат не подписан указанным вами CA ({1})",
     "the certificate is not signed by the CA you gave ({1})"},
    {"сервер сертификатының мерзімі өтіп кеткен (немесе бұл компьютердің сағаты қате)",
     "срок действия сертификата сервера истёк (или часы этого компьютера неверны)",
     "the server's certificate has expired (or this computer's clock is wrong)"},
    {"сервер сертификаты әлі жарамсыз: бұл компьютердің сағатын тексеріңіз",
     "сертификат сервера ещё не действует: проверьте часы этого компьютера",
     "the server's certificate is not valid yet: check this computer's clock"},
    {"сервер сертификаты қабылданбады", "сертификат сервера отклонён", "the server's certificate was refused"},
    {"CA файлын {1} оқу мүмкін емес (PEM сертификаты)", "не удаётся прочитать файл CA {1} (сертификат PEM)",
     "cannot read the CA file {1} (a PEM certificate)"},
    {"сервермен TLS байланысы орнамады: ол қарапайым http ұсынса, http:// пайдаланыңыз",
     "TLS-соединение с сервером не установлено: если он работает по обычному http, используйте http://",
     "no TLS handshake with the server: if it serves plain http, use http://"},
    {"бұл https сервері; {1} пайдаланыңыз", "это https-сервер; используйте {1}", "this is an https server; use {1}"},
    {"бұл ноутбук {1} серверіне тіркеліп қойған", "этот ноутбук уже зарегистрирован на {1}",
     "this laptop is already enrolled with {1}"},
    {"'{1}' тіркеу коды емес: онда 12 әріп пен цифр бар, мысалы K7MX-Q4TR-P2NW",
     "'{1}' — не код регистрации: в нём 12 букв и цифр, например K7MX-Q4TR-P2NW",
     "'{1}' is not an enrolment code: it has 12 letters and digits, like K7MX-Q4TR-P2NW"},
    {"бұл ноутбук {1} серверіне басқа кілтпен немесе басқа ерікті атынан тіркелген",
     "этот ноутбук уже зарегистрирован на {1} с другим ключом сервера или другим волонтёром",
     "this laptop is already enrolled with {1} under another key or volunteer than it answers now"},
    {"!!! {1} серверінің журналы осы ноутбук бұрын тексерген журналдан қысқа: сервер ескі көшірмеге қайтарылған "
     "немесе журналы екіге айырылған болуы мүмкін. Бұл ноутбукта ештеңе өзгерген жоқ",
     "!!! журнал сервера {1} короче того, что этот ноутбук уже проверил: возможно, сервер откатили к старой копии "
     "или его журнал раздвоился. На этом ноутбуке ничего не изменено",
     "!!! the server {1} holds a shorter log than one this laptop already verified: it may have been rolled back "
     "to an old copy, or forked. Nothing on this laptop was changed"},
    {"{1} шифрланбаған: арадағы желідегі кез келген адам жазбаларды оқып, жауаптарға өзгерістер енгізе алады. "
     "https:// мекенжайын пайдаланыңыз (сенімді желіде: `dala enroll --allow-http`)",
     "{1} не зашифрован: любой в сети между вами может прочитать записи и подменить ответы. Используйте адрес "
     "https:// (в сети, которой вы доверяете: `dala enroll --allow-http`)",
     "{1} is not encrypted: anyone on the network in between could read the records and slip things into what "
     "comes back. Use an https:// address (on a network you trust: `dala enroll --allow-http`)"},
    {"{1} коды белгісіз, қолданылған немесе мерзімі өткен: үйлестірушіден жаңа код сұраңыз",
     "код {1} неизвестен, уже использован или просрочен: попросите у координатора новый",
     "the code {1} is unknown, used or expired: ask your coordinator for a new one"},
};
static_assert(sizeof(kRows) / sizeof(kRows[0]) == static_cast<size_t>(Say::kCount),
              "every sentence needs its row, in kk, ru and en");

// Which of "one|few|many" a number takes in `lang`.
size_t PluralForm(long long n, std::string_view lang) {
  if (lang == "kk") return 0;
  n = n < 0 ? -n : n;
  if (lang == "ru") {
    if (n % 10 == 1 && n % 100 != 11) return 0;
    if (n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 12 || n % 100 > 14)) return 1;
    return 2;
  }
  return n == 1 ? 0 : 2;
}

}  // namespace

std::string_view RawWords(Say what, std::string_view lang) {
  const Row& r = kRows[static_cast<size_t>(what)];
  return lang == "kk" ? r.kk : lang == "ru" ? r.ru : r.en;
}

std::string Tr(Say what, std::string_view lang, std::initializer_list<std::string_view> args) {
  std::string_view raw = RawWords(what, lang);
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    size_t close = raw[i] == '{' ? raw.find('}', i) : std::string_view::npos;
    if (close == std::string_view::npos || i + 1 >= raw.size() || raw[i + 1] < '1' || raw[i + 1] > '9') {
      out.push_back(raw[i]);
      continue;
    }
    size_t n = static_cast<size_t>(raw[i + 1] - '1');
    std::string_view arg = n < args.size() ? *(args.begin() + n) : std::string_view();
    std::string_view inner = raw.substr(i + 2, close - i - 2);
    if (inner.empty()) {
      out += arg;
    } else if (inner[0] == ':') {
      // {N:one|few|many}: the form for the number in argument N.
      std::vector<std::string_view> forms;
      for (size_t start = 1;;) {
        size_t bar = inner.find('|', start);
        forms.push_back(inner.substr(start, bar == std::string_view::npos ? bar : bar - start));
        if (bar == std::string_view::npos) break;
        start = bar + 1;
      }
      size_t form = PluralForm(std::atoll(std::string(arg).c_str()), lang);
      out += forms[std::min(form, forms.size() - 1)];
    } else {
      out.append(raw.substr(i, close - i + 1));
    }
    i = close;
  }
  return out;
}

std::string WrapText(std::string_view text, size_t width, size_t indent) {
  if (width == 0) return std::string(text);
  std::string out;
  size_t line_start = 0;
  while (line_start <= text.size()) {
    size_t line_end = text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = text.size();
    std::string_view line = text.substr(line_start, line_end - line_start);
    // A line's own leading spaces are kept, and its continuations line up
    // with them.
    size_t lead = line.find_first_not_of(' ');
    if (lead == std::string_view::npos) lead = line.size();
    const size_t continuation = std::max(indent, lead) + 10 < width ? std::max(indent, lead) : 0;
    out.append(lead, ' ');
    size_t column = lead;
    bool first = true;
    for (size_t start = lead; start < line.size();) {
      size_t end = line.find(' ', start);
      if (end == std::string_view::npos) end = line.size();
      std::string_view word = line.substr(start, end - start);
      start = end + 1;
      if (word.empty()) continue;
      size_t length = utf8::Length(word);
      if (!first) {
        if (column + 1 + length > width) {
          out += "\n" + std::string(continuation, ' ');
          column = continuation;
        } else {
          out.push_back(' ');
          ++column;
        }
      }
      out += word;
      column += length;
      first = false;
    }
    if (line_end == text.size()) break;
    out.push_back('\n');
    line_start = line_end + 1;
  }
  return out;
}

size_t TerminalWidth() {
#ifdef _WIN32
  CONSOLE_SCREEN_BUFFER_INFO info{};
  if (::GetConsoleScreenBufferInfo(::GetStdHandle(STD_OUTPUT_HANDLE), &info) != 0) {
    int columns = info.srWindow.Right - info.srWindow.Left + 1;
    if (columns > 0) return static_cast<size_t>(columns);
  }
#else
  winsize ws{};
  if (::isatty(STDOUT_FILENO) == 1 && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
#endif
  if (const char* columns = std::getenv("COLUMNS"); columns != nullptr) {
    long n = std::strtol(columns, nullptr, 10);
    if (n > 0 && n < 10000) return static_cast<size_t>(n);
  }
  return 0;
}

}  // namespace dala::client::cli
