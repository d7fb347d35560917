// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title Regions
/// @notice Region codes are six-digit administrative divisions (GB/T 2260): `310000` is a province-level
/// division, `310100` a prefecture in it, `310115` a county in that. A code ending in `0000` covers its whole
/// province, one ending in `00` its whole prefecture, any other code only itself.
library Regions {
    /// @dev Whether `area` covers `region` (equal, or `region` lies inside `area`).
    function covers(uint32 area, uint32 region) internal pure returns (bool) {
        if (area == region) return true;
        if (area % 10_000 == 0) return area / 10_000 == region / 10_000;
        if (area % 100 == 0) return area / 100 == region / 100;
        return false;
    }
}
