// Brings a second copy of the model up to date by copying only the objects that differ.
// The controller keeps two such copies (the one it serves and the one a mutation works on, and
// the store keeps the committed one); copying all of a 10 000-resource model per mutation made
// mass spawns quadratic, while comparing equal objects costs no allocation.
#pragma once

#include "core/cluster/model.h"

namespace tandem::cluster {

// Afterwards target == source. Objects equal in both are left untouched. It walks cluster's
// members one by one: a member added to cluster must be added in assign_changed.cpp too
// (tests/core/cluster/test_assign_changed.cpp compares whole models).
void assign_changed(cluster& target, const cluster& source);

}  // namespace tandem::cluster
