// Package standard checks identifiers and values against the Chinese national
// data standards that zhbase's base data is keyed on: the unified social
// credit code (GB 32100-2015), the citizen identity number (GB 11643-1999),
// administrative division codes (GB/T 2260 and the 12-digit statistical
// extension), industry codes (GB/T 4754-2017), calendar dates, money amounts
// and currency codes.
//
// Every checker returns nil or a *Problem whose Reason a clerk can read
// without knowing Go or the standard. Reasons never name the field: the
// caller knows whether the value was a legal representative's ID number or a
// shareholder's, and adds that itself.
//
// The package must never:
//   - put a whole identifier, birth date or amount into a Reason: errors end up
//     in logs and API responses, and an ID number in a log is a personal-data
//     leak. A reason may quote the single offending character.
//   - silently repair input. Checkers judge exactly what they are given;
//     cleaning (trimming, full-width to half-width, upper-casing) happens only
//     when a caller asks for it through a Normalize function, so that what is
//     stored is what was checked.
//   - do I/O or keep state. Apart from reading the clock to refuse future
//     birth dates (which the *At variants let callers pin), every function is
//     pure and safe for concurrent use.
package standard
