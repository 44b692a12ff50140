// The built-in English text the synthetic tokenizer learns its merges from: Florence-2's task prompts (weighted
// heavily, so that even the tiny vocabulary turns every prompt word into one token) and a few hundred common
// English and image-description words with Zipf-like weights (earlier in the list = more frequent).
import { TASK_PROMPTS_WITH_INPUT, TASK_PROMPTS_WITHOUT_INPUTS } from "../configs";

const COMMON_WORDS = `
the of and to a in is it you that he was for on are with as I his they be at one have this from or had by
word but what some we can out other were all there when up use your how said an each she which do their time if
will way about many then them write would like so these her long make thing see him two has look more day
could go come did number sound no most people my over know water than call first who may down side been now
find any new work part take get place made live where after back little only round man year came show every
good me give our under name very through just form sentence great think say help low line differ turn cause
much mean before move right boy old too same tell does set three want air well also play small end put home
read hand port large spell add even land here must big high such follow act why ask men change went light
kind off need house picture try us again animal point mother world near build self earth father head stand
own page should country found answer school grow study still learn plant cover food sun four between state
keep eye never last let thought city tree cross farm hard start might story saw far sea draw left late run
while press close night real life few north open seem together next white children begin got walk example
ease paper group always music those both mark often letter until mile river car feet care second book carry
took science eat room friend began idea fish mountain stop once base hear horse cut sure watch color face
wood main enough plain girl usual young ready above ever red list though feel talk bird soon body dog family
direct pose leave song measure door product black short numeral class wind question happen complete ship area
half rock order fire south problem piece told knew pass since top whole king space heard best hour better true
during hundred five remember step early hold west ground interest reach fast verb sing listen six table travel
less morning ten simple several vowel toward war lay against pattern slow center love person money serve appear
road map rain rule govern pull cold notice voice unit power town fine certain fly fall lead cry dark machine
note wait plan figure star box noun field rest correct able pound done beauty drive stood contain front teach
week final gave green quick develop ocean warm free minute strong special mind behind clear tail produce fact
street inch multiply nothing course stay wheel full force blue object decide surface deep moon island foot
system busy test record boat common gold possible plane stead dry wonder laugh thousand ago ran check game
shape equate hot miss brought heat snow tire bring yes distant fill east paint language among
image photo shows showing shown standing sitting wearing holding front background left right top bottom
building window sky cloud grass street sign text logo shirt hat glass bottle cup plate chair bus truck bike
train street light pole fence wall floor ceiling lamp screen phone computer keyboard person woman man child
cat dog bird horse cow sheep elephant bear zebra giraffe umbrella bag tie suitcase ball kite bat skateboard
surfboard bowl banana apple sandwich orange pizza cake couch bed toilet laptop mouse remote oven sink clock
vase scissors teddy brush coin coins tissue cell stained microscope document page title paragraph
`;

/** A pre-token's training weight for the prompts, against at most a few hundred for the common words. */
const PROMPT_WEIGHT = 2000;

/** Text pieces and how often each is counted when learning merges. */
export function trainingCorpus(): { text: string; weight: number }[] {
  const prompts = [
    ...Object.values(TASK_PROMPTS_WITHOUT_INPUTS),
    ...Object.values(TASK_PROMPTS_WITH_INPUT),
  ].map((p) => p.replaceAll("{input}", ""));
  const words = COMMON_WORDS.split(/\s+/).filter((w) => w.length > 0);
  return [
    ...prompts.map((text) => ({ text, weight: PROMPT_WEIGHT })),
    // Mostly mid-sentence (" word"), sometimes sentence-initial ("Word"), as in running text.
    ...words.map((w, rank) => ({ text: ` ${w}`, weight: Math.ceil(600 / (rank + 2)) + 1 })),
    ...words.map((w, rank) => ({
      text: w[0]!.toUpperCase() + w.slice(1),
      weight: Math.ceil(60 / (rank + 2)),
    })),
  ];
}
