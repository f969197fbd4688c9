/* Unit tests: the shipped conf/risk-rules.txt in all eight languages.
 * Every rule applies to every message, so the cases are of two kinds:
 * messages in each language that must be flagged with their category
 * (German, Italian, Portuguese, Dutch, Polish; emergencies described in
 * lay words in English, Spanish and French), and messages that must not be
 * flagged at all - negations, service and policy questions ("do you have a
 * defibrillator?"), and common words of one language that look like
 * another language's risk word (Dutch "arm", Portuguese "chego",
 * Spanish "me encanta", Polish "urodziny"). */
#include <stdio.h>
#include <string.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "cc_risk.h"
#include "risktest.h"
#include "suites.h"
#include "corpus.h"

#define P   (1u << CC_RISK_PREGNANCY)
#define A   (1u << CC_RISK_ALLERGY)
#define C   (1u << CC_RISK_CHRONIC)
#define M   (1u << CC_RISK_MEDICATION)
#define MI  (1u << CC_RISK_MINOR)
#define R   (1u << CC_RISK_RECENT_PROCEDURE)
#define MH  (1u << CC_RISK_MENTAL_HEALTH)
#define E   (1u << CC_RISK_EMERGENCY)

typedef struct lang_case_t {
    const char *text;
    unsigned    want;     /* categories that must be among those flagged */
} lang_case_t;

static const lang_case_t risky_cases[] = {
    /* German */
    { "ich bin in der 12. ssw, darf ich botox machen?", P },
    { "ich stille noch meinen sohn", P },
    { "wir haben einen kinderwunsch und machen gerade ivf", P },
    { "ich habe eine allergie gegen lidocain", A },
    { "ich vertrage kein latex", A },
    { "ich habe diabetes typ 1", C },
    { "ich leide an morbus crohn", C },
    { "ich nehme marcumar", M },
    { "ich nehme die pille", M },
    { "meine tochter ist 15 jahre alt und will filler", MI },
    { "ich bin 16 und möchte botox", MI },
    { "ich hatte vor 3 tagen eine operation", R },
    { "gestern war ich beim zahnarzt", R },
    { "ich habe depressionen", MH },
    { "die hälfte meines gesichts hängt plötzlich runter", E },
    { "mein arm ist taub und sie spricht verwaschen", E },
    { "ich habe brustschmerzen", E },
    { "ich bekomme keine luft", E },
    { "meine lippe wird weiß nach dem filler", E },
    { "mein kind hat die betäubungscreme verschluckt", E },
    /* Italian */
    { "sono incinta di 3 mesi", P },
    { "sto allattando", P },
    { "sono allergica alla penicillina", A },
    { "ho il diabete", C },
    { "prendo la cardioaspirina", M },
    { "mia figlia ha 16 anni e vuole il filler", MI },
    { "ho fatto il filler due giorni fa", R },
    { "soffro di ansia e attacchi di panico", MH },
    { "non riesco a respirare", E },
    { "ho un dolore al petto", E },
    { "la mia faccia è storta da un lato e non riesce a parlare", E },
    { "il labbro è diventato bianco dopo il filler", E },
    /* Portuguese */
    { "estou grávida de 5 meses", P },
    { "estou amamentando", P },
    { "estou no terceiro mês de gravidez", P },
    { "tenho alergia a lidocaína", A },
    { "tenho pressão alta", C },
    { "tomo remédio para tireoide", M },
    { "minha filha tem 15 anos e quer botox", MI },
    { "fiz preenchimento há 3 dias", R },
    { "tenho depressão", MH },
    { "não consigo respirar", E },
    { "estou com dor no peito", E },
    { "o lábio ficou roxo depois do preenchimento", E },
    { "meu filho engoliu o creme anestésico", E },
    /* Dutch */
    { "ik ben zwanger", P },
    { "ik geef borstvoeding", P },
    { "ik ben allergisch voor lidocaïne", A },
    { "ik heb suikerziekte", C },
    { "ik gebruik bloedverdunners", M },
    { "mijn dochter is 15 jaar en wil fillers", MI },
    { "ik heb gisteren botox laten zetten", R },
    { "ik heb een depressie", MH },
    { "mijn gezicht hangt scheef en mijn arm is gevoelloos", E },
    { "ik heb pijn op de borst", E },
    { "ik kan niet ademen", E },
    /* Polish */
    { "jestem w ciąży", P },
    { "karmię piersią", P },
    { "mam uczulenie na lidokainę", A },
    { "choruję na cukrzycę", C },
    { "biorę leki na nadciśnienie", M },
    { "moja córka ma 15 lat i chce botoks", MI },
    { "jestem po zabiegu, wczoraj miałam wypełniacz", R },
    { "mam depresję", MH },
    { "nie mogę oddychać", E },
    { "mam ból w klatce piersiowej", E },
    { "twarz opada na jedną stronę", E },
    { "warga robi się biała po wypełniaczu", E },
    /* English: emergencies in lay words */
    { "my face is drooping on one side", E },
    { "her arm is weak and numb on one side", E },
    { "he is slurring his words and cant get words out", E },
    { "worst headache of my life came on suddenly", E },
    { "crushing pressure in my chest", E },
    { "my lips and tongue are swelling up and my voice is hoarse", E },
    { "hives spreading all over my body", E },
    { "there is a white patch on my lip after filler", E },
    { "my skin is mottled and purple after filler", E },
    { "i have a fever and shivering after my filler", E },
    { "the redness is spreading and there is pus", E },
    { "blisters after laser and the skin is peeling off", E },
    { "my son swallowed some numbing cream", E },
    { "my toddler ate some of my pills", E },
    { "the bleeding wont stop", E },
    { "hit my head and now im vomiting and confused", E },
    { "i am cutting myself right now", E },
    /* Spanish: emergencies in lay words */
    { "se me cae la cara de un lado", E },
    { "no puede hablar bien, arrastra las palabras", E },
    { "el peor dolor de cabeza de mi vida", E },
    { "tengo presion en el pecho", E },
    { "se me hinchan los labios y la lengua", E },
    { "mi hijo se tragó la crema anestésica", E },
    { "tengo fiebre y escalofríos después del relleno", E },
    { "ampollas después del láser", E },
    /* French: emergencies in lay words */
    { "il a le visage qui tombe d'un côté", E },
    { "elle n'arrive plus à parler", E },
    { "j'ai une oppression dans la poitrine", E },
    { "mes lèvres et ma langue gonflent", E },
    { "mon fils a avalé la crème anesthésiante", E },
    { "j'ai de la fièvre et des frissons après le filler", E },
    { "des cloques après le laser", E },
    { "le pire mal de tête de ma vie", E },
    /* By class, in every language: lay wording written for the tests (not
     * copied from the labelled sets). */
    { "the worst headache of my life just hit me out of nowhere", E },
    { "feels like my head is going to explode", E },
    { "me ha dado de repente un dolor de cabeza horrible", E },
    { "j'ai eu d'un coup un mal de tête atroce", E },
    { "plötzlich Kopfschmerzen wie noch nie", E },
    { "all'improvviso un mal di testa atroce", E },
    { "uma dor de cabeça que veio de repente, a pior de todas", E },
    { "opeens de ergste hoofdpijn ooit", E },
    { "nagle potworny ból głowy", E },
    { "there's a heavy weight on my chest and it's spreading down my arm", E },
    { "siento una presión en el pecho que me baja al brazo", E },
    { "ça me serre la poitrine et ça monte dans la mâchoire", E },
    { "es drückt auf der Brust und strahlt in den Arm", E },
    { "ho un peso sul petto che si irradia al braccio", E },
    { "sinto um aperto no peito que desce para o braço", E },
    { "druk op mijn borst die uitstraalt naar mijn arm", E },
    { "ucisk w klatce piersiowej promieniuje do ręki", E },
    { "nobody would miss me if i was gone", E | MH },
    { "nadie me echaría de menos", E | MH },
    { "je n'ai plus envie de vivre", E | MH },
    { "ich will nicht mehr leben", E | MH },
    { "non voglio più vivere", E | MH },
    { "não quero mais viver", E | MH },
    { "ik wil niet meer leven", E | MH },
    { "chcę umrzeć", E | MH },
    { "my toddler swallowed some of my tablets", E },
    { "it's still bleeding and won't stop even with pressure", E },
    { "i've been feeling really low and can't stop crying", MH },
    { "llevo semanas de bajón, lloro por todo", MH },
    { "j'ai le moral à zéro", MH },
    { "mir geht es seit Wochen richtig mies", MH },
    { "ultimamente mi sento giù", MH },
    { "ando muito pra baixo", MH },
    { "ik voel me zo somber", MH },
    { "od miesiąca mam doła", MH },
    { "i spend hours in the mirror hating my nose", MH },
    { "i barely eat so my face looks thinner", MH },
    { "up the duff with number three", P },
    { "im pg, is a facial ok", P },
    { "estoy embarazadísima", P },
    { "ich bin guter Hoffnung", P },
    { "sono in dolce attesa", P },
    { "tô de barriga de 6 meses", P },
    { "wij zijn in verwachting", P },
    { "jestem w 5 miesiącu", P },
    { "had my gallbladder out 3 weeks ago", R },
    { "tuve una cesárea hace un mes", R },
    { "j'ai été opérée il y a deux semaines", R },
    { "vor zwei Wochen hatte ich eine OP", R },
    { "ho fatto la rinoplastica un mese fa", R },
    { "fiz uma cirurgia há 3 semanas", R },
    { "ik ben vorige week geopereerd", R },
    { "miałam operację tydzień temu", R },
    { "im on microgynon", M },
};

static const char *const benign_cases[] = {
    /* German: negated */
    "ich bin nicht schwanger und stille nicht",
    "ich habe keine allergien",
    "ich nehme keine medikamente",
    "ich bin 15 minuten zu spät",
    "habt ihr einen defibrillator in der praxis?",
    "was kostet botox für die stirn?",
    "kann ich am samstag einen termin haben?",
    "die behandlung war toll, danke",
    /* Italian: negated */
    "non sono incinta",
    "come posso prenotare una visita?",
    "quanto costa il botox?",
    "avete un defibrillatore?",
    /* Portuguese: negated */
    "não estou grávida",
    "quanto custa o botox pela manhã?",
    "vocês abrem no sábado?",
    "chego amanhã às 10",
    /* Dutch: negated */
    "ik ben niet zwanger",
    "ik wil een afspraak maken voor mijn arm",
    "ik ben arm en wil korting",
    "wat kost een behandeling?",
    "hebben jullie een AED?",
    /* Polish: negated */
    "nie jestem w ciąży",
    "miałam operację 15 lat temu",
    "ile kosztuje botoks?",
    "czy mogę umówić wizytę na sobotę?",
    "na jakiej ulicy jest klinika?",
    /* English: negated */
    "do you have a defibrillator",
    "whats your emergency number",
    "what happens if i faint during treatment",
    /* English: service and policy questions, look-alike words */
    "the website is not responding when i try to pay",
    "i have very fair white skin, is laser ok for me?",
    "do you treat sudden hair loss with prp?",
    "what is your emergency number?",
    "do you have a defibrillator at the clinic?",
    "what happens if i faint during the treatment?",
    "can you treat white spots on my face?",
    /* German: service and policy questions, look-alike words */
    "haben Sie einen Defibrillator in der Praxis?",
    "die Webseite reagiert nicht",
    "ich habe sehr helle Haut, ist Laser geeignet?",
    "was kostet eine Faltenbehandlung an der Stirn?",
    "kann ich einen Termin am Samstag bekommen?",
    "wie lange hält Botox?",
    "ich möchte größere Lippen",
    "Sie haben einen tollen Service",
    "wo kann ich parken?",
    "gibt es eine Notfallnummer?",
    /* Italian: service and policy questions, look-alike words */
    "quanto costa il filler alle labbra?",
    "come posso prenotare un appuntamento?",
    "avete un defibrillatore?",
    "il sito non risponde",
    "ho la pelle molto chiara, va bene il laser?",
    "prego, a che ora aprite?",
    "posso pagare con la carta?",
    "quanto dura il botox?",
    /* Portuguese: service and policy questions, look-alike words */
    "quanto custa o botox?",
    "como faço para marcar uma consulta?",
    "o site não responde",
    "tenho a pele muito branca, posso fazer laser?",
    "chego às 10 horas pela manhã",
    "é embaraçoso perguntar, mas quanto custa?",
    "vocês aceitam cartão?",
    "qual é o número de emergência?",
    /* Dutch: service and policy questions, look-alike words */
    "wat kost een behandeling met botox?",
    "kan ik een afspraak maken op zaterdag?",
    "de website reageert niet",
    "ik heb een hele lichte huid, kan ik laseren?",
    "wat een toeval, ik woon om de hoek",
    "de uitslag van de test was goed",
    "ik ben arm en wil graag korting",
    "ik wil graag een afspraak voor mijn arm",
    "het is me goed bevallen, dank je wel",
    "hoeveel kost het per teen?",
    /* Polish: service and policy questions, look-alike words */
    "ile kosztuje botoks?",
    "czy mogę umówić wizytę na sobotę?",
    "strona nie reaguje",
    "mam bardzo jasną skórę, czy mogę zrobić laser?",
    "na jakiej ulicy jest klinika?",
    "czy przyjmujecie karty?",
    "ile trwa zabieg?",
    "mam urodziny w sobotę, czy mogę przyjść?",
    /* Spanish: service and policy questions, look-alike words */
    "¿cuánto cuesta el botox?",
    "me encanta vuestra clínica",
    "¿tenéis desfibrilador?",
    "la web no responde",
    "tengo la piel muy blanca, ¿puedo hacerme láser?",
    /* French: service and policy questions, look-alike words */
    "quelle est votre adresse ?",
    "avez-vous un défibrillateur ?",
    "le site ne répond pas",
    "j'ai la peau très blanche, le laser est-il possible ?",
    "personne ne répond au téléphone",
    "je voudrais des lèvres plus grosses",
    "combien coûte l'épilation laser ?",
    /* Words one typo away from a rule in another language: French "prenant",
     * "simplement", "epanouie"; German "Entzuendung", "kurzaermlig",
     * "Kundenwunsch", "Luxus"; Spanish/Portuguese "demasiado"; English
     * "hearing", "blush", "collagen"; Polish "martwi"; Dutch "uitgerekend"
     * (of all things). */
    "je voudrais simplement savoir vos horaires",
    "en prenant rendez-vous en ligne, est-ce que je paie d'avance ?",
    "je veux une peau épanouie pour mon mariage",
    "hilft das Peeling gegen Entzündungen der Haut?",
    "ich komme im kurzärmligen Shirt, ist das ok?",
    "es demasiado caro para mí",
    "é demasiado caro para mim",
    "gibt es eine Luxus-Gesichtsbehandlung?",
    "do you do a discount for people with hearing aids?",
    "which blush colour suits me after the facial?",
    "martwi mnie cena, czy są raty?",
    "das ist ein Kundenwunsch von meiner Freundin",
    "is there any real evidence collagen supplements work",
    "ik wil graag precies weten wat het kost, uitgerekend in euro",
    /* Look-alikes of the class words above: praise, sold out, a name,
     * figurative prices, an aspiring model, "not coming". */
    "i was gushing about my results to everyone",
    "im an aspiring model and want a natural look",
    "o horário das 10h está esgotado?",
    "il modello che volevo è esaurito",
    "my friend yasmin recommended you",
    "with these prices i'm having a mini heart attack",
    "con questi prezzi mi viene un infarto",
    "my twin has lupus, she's not coming though",
};

START_TEST(test_langs_risky)
{
    apr_pool_t *p = corpus_pool();
    cc_ruleset_t *rs = risktest_shipped(p, NULL);
    apr_pool_t *sp = corpus_pool();
    size_t i;

    for (i = 0; i < sizeof(risky_cases) / sizeof(risky_cases[0]); i++) {
        cc_risk_result_t res;
        char g[256], w[256];

        cc_risk_check(rs, risky_cases[i].text, strlen(risky_cases[i].text),
                      sp, &res);
        risktest_names(res.categories, g, sizeof(g));
        risktest_names(risky_cases[i].want, w, sizeof(w));
        ck_assert_msg((res.categories & risky_cases[i].want)
                      == risky_cases[i].want,
                      "\"%s\": got [%s] want at least [%s]",
                      risky_cases[i].text, g, w);
        apr_pool_clear(sp);
    }
    apr_pool_destroy(sp);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(test_langs_benign)
{
    apr_pool_t *p = corpus_pool();
    cc_ruleset_t *rs = risktest_shipped(p, NULL);
    apr_pool_t *sp = corpus_pool();
    size_t i;

    for (i = 0; i < sizeof(benign_cases) / sizeof(benign_cases[0]); i++) {
        cc_risk_result_t res;
        char g[256];

        cc_risk_check(rs, benign_cases[i], strlen(benign_cases[i]), sp,
                      &res);
        risktest_names(res.categories, g, sizeof(g));
        ck_assert_msg(res.categories == 0, "\"%s\": got [%s] want none",
                      benign_cases[i], g);
        apr_pool_clear(sp);
    }
    apr_pool_destroy(sp);
    apr_pool_destroy(p);
}
END_TEST

/* Each new language has its own section: compiled alone (with the "*"
 * rules), it has negators and rules in every patient category. */
START_TEST(test_langs_sections)
{
    static const struct {
        const char *lang;
        const char *pregnant;    /* "I am pregnant" */
        const char *not_preg;    /* "I am not pregnant" */
        const char *chest;       /* "I have chest pain" */
    } langs[] = {
        { "de", "ich bin schwanger", "ich bin nicht schwanger",
          "ich habe brustschmerzen" },
        { "it", "sono incinta", "non sono incinta",
          "ho un forte dolore al petto" },
        { "pt", "estou gravida", "nao estou gravida",
          "estou com dor no peito" },
        { "nl", "ik ben zwanger", "ik ben niet zwanger",
          "ik heb pijn op de borst" },
        { "pl", "jestem w ciazy", "nie jestem w ciazy",
          "mam bol w klatce piersiowej" },
    };
    apr_pool_t *p = corpus_pool();
    size_t i;

    for (i = 0; i < sizeof(langs) / sizeof(langs[0]); i++) {
        cc_ruleset_t *rs = risktest_shipped(p, langs[i].lang);
        cc_risk_result_t res;

        ck_assert_int_ge(cc_risk_count(rs), 300);
        cc_risk_check(rs, langs[i].pregnant, strlen(langs[i].pregnant), p,
                      &res);
        ck_assert_msg(res.categories & P, "%s: \"%s\" not pregnancy",
                      langs[i].lang, langs[i].pregnant);
        cc_risk_check(rs, langs[i].not_preg, strlen(langs[i].not_preg), p,
                      &res);
        ck_assert_msg(!(res.categories & P), "%s: \"%s\" not negated",
                      langs[i].lang, langs[i].not_preg);
        cc_risk_check(rs, langs[i].chest, strlen(langs[i].chest), p, &res);
        ck_assert_msg(res.emergency, "%s: \"%s\" not an emergency",
                      langs[i].lang, langs[i].chest);
    }
    apr_pool_destroy(p);
}
END_TEST

Suite *suite_risk_langs(void)
{
    Suite *s = suite_create("risk_langs");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_langs_risky);
    tcase_add_test(tc, test_langs_benign);
    tcase_add_test(tc, test_langs_sections);
    suite_add_tcase(s, tc);
    return s;
}
