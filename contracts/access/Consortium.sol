// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {IConsortium, ProposalId} from "../interfaces/IConsortium.sol";
import {Roles} from "../libraries/Roles.sol";

/// @title Consortium
/// @notice Member institutions and their roles, changed only by k-of-n governor proposals; the same proposals
/// also make the approved calls that change other Recourse contracts' governed settings (`Call`).
/// @dev `execute` is `nonReentrant` (transient storage: the chain runs cancun, EIP-1153): a `Call` target that
/// is itself a governor could otherwise execute another proposal in the middle of this one.
contract Consortium is IConsortium, ReentrancyGuardTransient {
    using EnumerableSet for EnumerableSet.AddressSet;

    /// @notice The longest a proposal may stay open (bounds deadline arithmetic for ever).
    uint64 public constant MAX_PROPOSAL_LIFETIME = 365 days;

    // --- storage ---
    mapping(address account => Member) private _members;
    /// @dev Members in admission order (never removed: a member leaves by suspension).
    EnumerableSet.AddressSet private _memberSet;

    EnumerableSet.AddressSet private _governorSet;
    uint256 private _threshold;
    uint64 private immutable _proposalLifetime;

    mapping(address account => bool) private _systemContracts;

    uint256 private _proposalCount;
    mapping(ProposalId proposalId => Proposal) private _proposals;
    mapping(ProposalId proposalId => mapping(address governor => bool)) private _approved;

    // --- modifiers ---
    modifier onlyGovernor() {
        if (!_governorSet.contains(msg.sender)) revert ConsortiumNotGovernor(msg.sender);
        _;
    }

    /// @param initialGovernors The founding governors.
    /// @param initialThreshold Approvals needed to execute a proposal (k).
    /// @param lifetime Seconds a proposal stays open.
    constructor(address[] memory initialGovernors, uint256 initialThreshold, uint64 lifetime) {
        if (lifetime == 0 || lifetime > MAX_PROPOSAL_LIFETIME) revert ConsortiumInvalidLifetime();
        _proposalLifetime = lifetime;
        for (uint256 i = 0; i < initialGovernors.length; i++) {
            _addGovernor(initialGovernors[i]);
        }
        uint256 governorCount = _governorSet.length();
        if (initialThreshold == 0 || initialThreshold > governorCount) {
            revert ConsortiumInvalidThreshold(initialThreshold, governorCount);
        }
        _threshold = initialThreshold;
        emit ThresholdChanged(0, initialThreshold);
    }

    // --- external: governance ---

    /// @inheritdoc IConsortium
    function propose(ProposalKind kind, address target, bytes calldata data)
        external
        onlyGovernor
        returns (ProposalId proposalId)
    {
        _check(kind, target, data);
        proposalId = ProposalId.wrap(++_proposalCount);
        uint64 deadline = uint64(block.timestamp) + _proposalLifetime;
        _proposals[proposalId] = Proposal({
            kind: kind, target: target, proposer: msg.sender, deadline: deadline, executed: false, data: data
        });
        _approved[proposalId][msg.sender] = true;
        emit ProposalCreated(proposalId, kind, target, msg.sender, deadline, data);
        emit ProposalApproved(proposalId, msg.sender, _approvals(proposalId));
    }

    /// @inheritdoc IConsortium
    function approve(ProposalId proposalId) external onlyGovernor {
        _requireOpen(proposalId);
        if (_approved[proposalId][msg.sender]) revert ConsortiumAlreadyApproved(proposalId, msg.sender);
        _approved[proposalId][msg.sender] = true;
        emit ProposalApproved(proposalId, msg.sender, _approvals(proposalId));
    }

    /// @inheritdoc IConsortium
    function execute(ProposalId proposalId) external onlyGovernor nonReentrant {
        Proposal storage p = _requireOpen(proposalId);
        uint256 approvals = _approvals(proposalId);
        if (approvals < _threshold) revert ConsortiumInsufficientApprovals(proposalId, approvals, _threshold);
        // read once: the payload is checked and then applied from the same memory copy
        ProposalKind kind = p.kind;
        address target = p.target;
        bytes memory data = p.data;
        _check(kind, target, data);
        p.executed = true;
        emit ProposalExecuted(proposalId, kind, target, msg.sender);
        _apply(proposalId, kind, target, data);
    }

    // --- external: system contracts ---

    /// @inheritdoc IConsortium
    function enrolSystemContract(address account) external {
        if (!_systemContracts[msg.sender]) revert ConsortiumUnauthorizedEnrolment(msg.sender);
        if (account.code.length == 0 || _systemContracts[account] || _memberSet.contains(account)) {
            revert ConsortiumInvalidSystemContract(account, true);
        }
        _systemContracts[account] = true;
        emit SystemContractEnrolled(account, msg.sender);
    }

    // --- external: views ---

    /// @inheritdoc IConsortium
    function hasActiveRole(address account, bytes32 role) external view returns (bool) {
        uint256 bit = _roleBit(role); // unknown roles revert for every account, active or not
        return _isActive(account) && (_members[account].roles & bit) != 0;
    }

    /// @inheritdoc IConsortium
    function isActiveMember(address account) external view returns (bool) {
        return _isActive(account);
    }

    /// @inheritdoc IConsortium
    function isSystemContract(address account) external view returns (bool) {
        return _systemContracts[account];
    }

    /// @inheritdoc IConsortium
    function eligibility(address account)
        external
        view
        returns (uint256 roles, uint32 region, uint8 kycTier, bool active)
    {
        Member storage m = _members[account];
        return (m.roles, m.region, m.kycTier, _isActive(account));
    }

    /// @inheritdoc IConsortium
    function isMember(address account) external view returns (bool) {
        return _memberSet.contains(account);
    }

    /// @inheritdoc IConsortium
    function getMember(address account) external view returns (Member memory) {
        _requireMember(account);
        return _members[account];
    }

    /// @inheritdoc IConsortium
    function memberCount() external view returns (uint256) {
        return _memberSet.length();
    }

    /// @inheritdoc IConsortium
    function memberAt(uint256 index) external view returns (address) {
        return _memberSet.at(index);
    }

    /// @inheritdoc IConsortium
    function roleBit(bytes32 role) external pure returns (uint256) {
        return _roleBit(role);
    }

    /// @inheritdoc IConsortium
    function governors() external view returns (address[] memory) {
        return _governorSet.values();
    }

    /// @inheritdoc IConsortium
    function isGovernor(address account) external view returns (bool) {
        return _governorSet.contains(account);
    }

    /// @inheritdoc IConsortium
    function threshold() external view returns (uint256) {
        return _threshold;
    }

    /// @inheritdoc IConsortium
    function proposalLifetime() external view returns (uint64) {
        return _proposalLifetime;
    }

    /// @inheritdoc IConsortium
    function proposalCount() external view returns (uint256) {
        return _proposalCount;
    }

    /// @inheritdoc IConsortium
    function getProposal(ProposalId proposalId) external view returns (Proposal memory) {
        return _proposal(proposalId);
    }

    /// @inheritdoc IConsortium
    function approvalCount(ProposalId proposalId) external view returns (uint256) {
        _proposal(proposalId);
        return _approvals(proposalId);
    }

    /// @inheritdoc IConsortium
    function hasApproved(ProposalId proposalId, address governor) external view returns (bool) {
        return _approved[proposalId][governor];
    }

    // --- internal ---

    function _proposal(ProposalId proposalId) private view returns (Proposal storage p) {
        uint256 raw = ProposalId.unwrap(proposalId);
        if (raw == 0 || raw > _proposalCount) revert ConsortiumUnknownProposal(proposalId);
        p = _proposals[proposalId];
    }

    function _requireOpen(ProposalId proposalId) private view returns (Proposal storage p) {
        p = _proposal(proposalId);
        if (p.executed) revert ConsortiumProposalAlreadyExecuted(proposalId);
        if (block.timestamp > p.deadline) revert ConsortiumProposalExpired(proposalId, p.deadline);
    }

    /// @dev Counts approvals by *current* governors only, so a removed governor's approval no longer counts.
    function _approvals(ProposalId proposalId) private view returns (uint256 count) {
        mapping(address governor => bool) storage approved = _approved[proposalId];
        uint256 governorCount = _governorSet.length();
        for (uint256 i = 0; i < governorCount; i++) {
            if (approved[_governorSet.at(i)]) count++;
        }
    }

    function _isActive(address account) private view returns (bool) {
        Member storage m = _members[account];
        // admittedAt is set (non-zero block time) exactly when the member is admitted, and it shares a
        // storage slot with the other fields read here, so this costs one cold read instead of two
        return m.admittedAt != 0 && !m.suspended && (m.licenceExpiry == 0 || block.timestamp <= m.licenceExpiry);
    }

    function _roleBit(bytes32 role) private pure returns (uint256) {
        if (role == Roles.BANK) return 1 << 0;
        if (role == Roles.COLLECTOR) return 1 << 1;
        if (role == Roles.MEDIATOR) return 1 << 2;
        if (role == Roles.COURT) return 1 << 3;
        if (role == Roles.INVESTOR) return 1 << 4;
        if (role == Roles.AUDITOR) return 1 << 5;
        if (role == Roles.ORACLE) return 1 << 6;
        if (role == Roles.REGULATOR) return 1 << 7;
        if (role == Roles.SETTLEMENT_BANK) return 1 << 8;
        revert ConsortiumUnknownRole(role);
    }

    function _rolesMask(bytes32[] memory roles) private pure returns (uint256 mask) {
        for (uint256 i = 0; i < roles.length; i++) {
            mask |= _roleBit(roles[i]);
        }
    }

    /// @dev Reverts unless `kind` could be applied to `target` with `data` right now.
    function _check(ProposalKind kind, address target, bytes memory data) private view {
        if (target == address(0)) revert ConsortiumZeroAddress();
        if (kind == ProposalKind.Admit) {
            if (_memberSet.contains(target)) revert ConsortiumAlreadyMember(target);
            (, bytes32[] memory roles,,,) = abi.decode(data, (bytes32, bytes32[], uint32, uint64, uint8));
            if (_rolesMask(roles) == 0) revert ConsortiumNoRoles(target);
        } else if (kind == ProposalKind.GrantRole || kind == ProposalKind.RevokeRole) {
            _requireMember(target);
            bytes32 role = abi.decode(data, (bytes32));
            bool held = (_members[target].roles & _roleBit(role)) != 0;
            if (held == (kind == ProposalKind.GrantRole)) revert ConsortiumRoleUnchanged(target, role, held);
            if (kind == ProposalKind.RevokeRole && _members[target].roles == _roleBit(role)) {
                revert ConsortiumNoRoles(target);
            }
        } else if (kind == ProposalKind.Suspend || kind == ProposalKind.Reinstate) {
            _requireMember(target);
            abi.decode(data, (bytes32));
            bool suspended = _members[target].suspended;
            if (suspended == (kind == ProposalKind.Suspend)) revert ConsortiumSuspensionUnchanged(target, suspended);
        } else if (kind == ProposalKind.UpdateProfile) {
            _requireMember(target);
            abi.decode(data, (uint32, uint64, uint8));
        } else if (kind == ProposalKind.AddGovernor) {
            if (_governorSet.contains(target)) revert ConsortiumGovernorUnchanged(target, true);
        } else if (kind == ProposalKind.RemoveGovernor) {
            if (!_governorSet.contains(target)) revert ConsortiumGovernorUnchanged(target, false);
            // a governor is in the set, so the set is not empty
            uint256 remaining = _governorSet.length() - 1;
            if (_threshold > remaining) revert ConsortiumInvalidThreshold(_threshold, remaining);
        } else if (kind == ProposalKind.SetThreshold) {
            uint256 k = abi.decode(data, (uint256));
            uint256 governorCount = _governorSet.length();
            if (k == 0 || k > governorCount) revert ConsortiumInvalidThreshold(k, governorCount);
        } else if (kind == ProposalKind.SetSystemContract) {
            bool enabled = abi.decode(data, (bool));
            if (enabled == _systemContracts[target] || (enabled && target.code.length == 0)) {
                revert ConsortiumInvalidSystemContract(target, enabled);
            }
        } else {
            // Call: a function of another contract (so a selector), never the consortium itself, whose own
            // changes go through the kinds above
            if (target == address(this) || target.code.length == 0 || data.length < 4) {
                revert ConsortiumInvalidCall(target, data);
            }
        }
    }

    function _requireMember(address account) private view {
        if (!_memberSet.contains(account)) revert ConsortiumNotMember(account);
    }

    function _apply(ProposalId proposalId, ProposalKind kind, address target, bytes memory data) private {
        if (kind == ProposalKind.Admit) {
            (bytes32 nameDigest, bytes32[] memory roles, uint32 region, uint64 licenceExpiry, uint8 kycTier) =
                abi.decode(data, (bytes32, bytes32[], uint32, uint64, uint8));
            uint256 mask = _rolesMask(roles);
            _members[target] = Member({
                nameDigest: nameDigest,
                roles: mask,
                region: region,
                licenceExpiry: licenceExpiry,
                kycTier: kycTier,
                suspended: false,
                admittedAt: uint64(block.timestamp)
            });
            _memberSet.add(target);
            emit MemberAdmitted(target, nameDigest, mask, region, licenceExpiry, kycTier);
        } else if (kind == ProposalKind.GrantRole) {
            bytes32 role = abi.decode(data, (bytes32));
            _members[target].roles |= _roleBit(role);
            emit MemberRoleGranted(target, role, proposalId);
        } else if (kind == ProposalKind.RevokeRole) {
            bytes32 role = abi.decode(data, (bytes32));
            _members[target].roles &= ~_roleBit(role);
            emit MemberRoleRevoked(target, role, proposalId);
        } else if (kind == ProposalKind.Suspend) {
            _members[target].suspended = true;
            emit MemberSuspended(target, abi.decode(data, (bytes32)), proposalId);
        } else if (kind == ProposalKind.Reinstate) {
            _members[target].suspended = false;
            emit MemberReinstated(target, abi.decode(data, (bytes32)), proposalId);
        } else if (kind == ProposalKind.UpdateProfile) {
            (uint32 region, uint64 licenceExpiry, uint8 kycTier) = abi.decode(data, (uint32, uint64, uint8));
            Member storage m = _members[target];
            m.region = region;
            m.licenceExpiry = licenceExpiry;
            m.kycTier = kycTier;
            emit MemberProfileUpdated(target, region, licenceExpiry, kycTier);
        } else if (kind == ProposalKind.AddGovernor) {
            _addGovernor(target);
        } else if (kind == ProposalKind.RemoveGovernor) {
            _removeGovernor(target);
        } else if (kind == ProposalKind.SetThreshold) {
            uint256 previous = _threshold;
            _threshold = abi.decode(data, (uint256));
            emit ThresholdChanged(previous, _threshold);
        } else if (kind == ProposalKind.SetSystemContract) {
            bool enabled = abi.decode(data, (bool));
            _systemContracts[target] = enabled;
            emit SystemContractSet(target, enabled);
        } else {
            // Call: the proposal is already marked executed and its event emitted; a revert of the target
            // reverts this execution too (with the target's error), so the proposal stays open to retry
            bytes memory result = Address.functionCall(target, data);
            // casting to 'bytes4' is safe because it keeps exactly the selector: _check proved data has 4 bytes
            // forge-lint: disable-next-line(unsafe-typecast)
            emit ProposalCallExecuted(proposalId, target, bytes4(data), result);
        }
    }

    function _addGovernor(address account) private {
        if (account == address(0)) revert ConsortiumZeroAddress();
        if (!_governorSet.add(account)) revert ConsortiumGovernorUnchanged(account, true);
        emit GovernorAdded(account);
    }

    /// @dev The last governor takes the removed one's place in {governors} (EnumerableSet's swap and pop).
    function _removeGovernor(address account) private {
        _governorSet.remove(account);
        emit GovernorRemoved(account);
    }
}
