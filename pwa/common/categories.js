// What a concern can be about: the list in the domain pack's two school policies (abuse and neglect,
// then the "specific sources of harm"). The codes travel inside the sealed note (docs/protocol.md,
// "Record content"), so they never change; the labels are only what staff read.

export const CATEGORIES = [
  { code: "physical_abuse", label: "Physical abuse" },
  { code: "emotional_abuse", label: "Emotional abuse" },
  { code: "sexual_abuse", label: "Sexual abuse" },
  { code: "neglect", label: "Neglect" },
  { code: "fgm", label: "Female genital mutilation (FGM)" },
  { code: "cse", label: "Child sexual exploitation (CSE)" },
  { code: "cce", label: "Child criminal exploitation, county lines" },
  { code: "radicalisation", label: "Radicalisation (Prevent)" },
  { code: "domestic_abuse", label: "Domestic abuse" },
  { code: "honour_based_violence", label: "So-called honour-based violence" },
  { code: "child_on_child", label: "Child-on-child abuse, including sexual violence, sexual harassment and upskirting" },
  { code: "sexting", label: "Sexting: sexual images made or shared by young people" },
  { code: "serious_violence", label: "Serious violence" },
  { code: "missing_education", label: "Missing from education" },
  { code: "homelessness", label: "Homelessness" },
  { code: "family_in_prison", label: "A family member in prison" },
  { code: "online_safety", label: "Online safety" },
  { code: "send", label: "Special educational needs or disability (SEN)" },
  { code: "young_carer", label: "Young carer" },
  // In the Hull policy's "specific sources of harm", though not in the brief's summary of it.
  { code: "court_system", label: "Children and the court system" },
  { code: "other", label: "Something else" },
];

export function categoryLabel(code) {
  for (const c of CATEGORIES) if (c.code === code) return c.label;
  return code; // a code from a later version: shown as it is rather than hidden
}
