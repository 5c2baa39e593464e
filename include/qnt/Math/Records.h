//===- Records.h - A tiled weight's components, group by group ---*- C++
//-*-===//
//
// A data-tiled weight has several components read together, group by group:
// the data rows of a group, its scales (and mins, sums), and every few
// groups the factors of a super-block. Stored as separate arrays they are as
// many streams from memory, and a GEMV that streams its weights from DRAM
// runs measurably slower on two streams than on one of the same bytes. In
// the records form, the components of `groups` consecutive groups of a tile
// lie side by side in one record:
//
//   record[t][r] = data of groups rR .. rR + R - 1 (their rows, in order)
//                  then, per component, its units for those groups
//
// where a component's unit is one group's (scales: n0 values), or one
// super-block's (its factors: a unit of `unitGroups` groups). R is the
// fewest groups, a multiple of every unit, that fill whole cache lines and
// divide the tile's groups; else the fewest that divide them.
//
// Header-only: the qnt dialect derives a records type from it without the
// maths library, and lib/Math/Quant.cpp's interleaveRecords writes it.
//
//===----------------------------------------------------------------------===//

#ifndef QNT_MATH_RECORDS_H
#define QNT_MATH_RECORDS_H

#include <cstdint>
#include <numeric>
#include <vector>

namespace qnt::math {

/// A component as records hold it: `unitBytes` bytes for each unit of
/// `unitGroups` consecutive groups (the data: a group's rows, unitGroups 1).
struct RecordPart {
  int64_t unitBytes = 0;
  int64_t unitGroups = 1;
};

/// Where each component lies in a record of `groups` groups.
struct RecordLayout {
  int64_t groups = 0;           ///< groups a record
  int64_t bytes = 0;            ///< bytes a record
  std::vector<int64_t> offsets; ///< of each part in a record (the data's 0)
};

/// The bytes of a cache line, which records fill when they can.
inline constexpr int64_t kRecordAlignment = 64;

/// The records of a tile of `groups` groups holding `parts` (parts[0] the
/// data); a layout of 0 groups if no multiple of the units divides
/// `groups`.
inline RecordLayout recordLayout(const std::vector<RecordPart> &parts,
                                 int64_t groups) {
  int64_t unit = 1;
  for (const RecordPart &p : parts)
    unit = std::lcm(unit, p.unitGroups);
  auto bytesOf = [&](int64_t r) {
    int64_t bytes = 0;
    for (const RecordPart &p : parts)
      bytes += r / p.unitGroups * p.unitBytes;
    return bytes;
  };
  int64_t chosen = 0;
  for (int64_t r = unit; r <= groups && !chosen; r += unit)
    if (groups % r == 0 && bytesOf(r) % kRecordAlignment == 0)
      chosen = r;
  for (int64_t r = unit; r <= groups && !chosen; r += unit)
    if (groups % r == 0)
      chosen = r;
  RecordLayout layout;
  if (!chosen)
    return layout;
  layout.groups = chosen;
  for (const RecordPart &p : parts) {
    layout.offsets.push_back(layout.bytes);
    layout.bytes += chosen / p.unitGroups * p.unitBytes;
  }
  return layout;
}

/// The components of `tiles` tiles (each [tiles][its units][unitBytes],
/// parts[0] the data) as records [tiles][groups / R][layout.bytes].
std::vector<char>
interleaveRecords(const std::vector<std::vector<char>> &components,
                  const std::vector<RecordPart> &parts,
                  const RecordLayout &layout, int64_t tiles, int64_t groups);

} // namespace qnt::math

#endif // QNT_MATH_RECORDS_H
