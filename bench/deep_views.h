/* deep_views.h: points for deep-zoom tests and benchmarks, as decimal
 * string literals (what rnd_view_set_center_text takes). */
#ifndef BENCH_DEEP_VIEWS_H
#define BENCH_DEEP_VIEWS_H

/* A Misiurewicz point (pre-period 24, period 1) near -0.7757 + 0.1365i, to
 * 320 digits by Newton's method (mpmath, 340 digits): on the boundary, so a
 * view around it shows spirals at every depth down to ~1e-310, with escape
 * counts of about 600 at 1e-10, 2,900 at 1e-50 and 17,000 at 1e-300. */
#define BENCH_MIS_RE                                                                               \
    "-0.7756837680090537974694835039347410457282465046158003947949520014006"                       \
    "6601722281958989488315936878225502825229668905097250894299179080463737"                       \
    "9375064948277466851397737639988597830060096399129865894739475697095406"                       \
    "3645032212466724248567049855383997329799836257757609838184774782811466"                       \
    "2335675541028210097088200595499385767435381"
#define BENCH_MIS_IM                                                                               \
    "0.13646736829469012473327440961784876519777211159246769640780019540083"                       \
    "5665974815500875448611244178656625706823059759836009902469392551108149"                       \
    "8277537811452866499938142966666410158398654439324342409277008273232246"                       \
    "4837208685040898301427236203238260319437943036898482836622132464385538"                       \
    "173824612727799986802237591203745426387737"

/* The repelling fixed point (1 + sqrt(1 - 4c)) / 2 of z^2 + c for the
 * default Julia constant c = -0.8 + 0.156i (its doubles), to 100 digits:
 * on the Julia set's boundary. */
#define BENCH_BETA_RE                                                                              \
    "1.52750311864353463227460793135191616947531241751173249390572825665856"                       \
    "8636525695786020421879731335118"
#define BENCH_BETA_IM                                                                              \
    "-0.0759121783522878653764568658687429427997344025257309526545062431394"                       \
    "5915955042180659717442058891181321"

#endif
