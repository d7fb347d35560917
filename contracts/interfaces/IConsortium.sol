// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @notice Identifies a governance proposal in {IConsortium}.
type ProposalId is uint256;

/// @title IConsortium
/// @notice The permissioned membership of the Recourse network: member institutions, their roles,
/// region, licence expiry, KYC tier and suspension, changed only by proposals that k of n governors
/// approve before the proposal expires. Every other Recourse contract asks it who may act, and the settings
/// another contract keeps under governance change only when the consortium executes an approved `Call`
/// proposal on it (the contract's `onlyConsortium` setters, see {IConsortiumGated}).
/// @dev No personal data: an institution appears only as its address and a digest of its legal name.
interface IConsortium {
    /// @notice What a proposal does when executed. The payload `data` is ABI-encoded per kind:
    /// Admit `(bytes32 nameDigest, bytes32[] roles, uint32 region, uint64 licenceExpiry, uint8 kycTier)`;
    /// GrantRole / RevokeRole `(bytes32 role)`; Suspend / Reinstate `(bytes32 reasonDigest)`;
    /// UpdateProfile `(uint32 region, uint64 licenceExpiry, uint8 kycTier)`;
    /// AddGovernor / RemoveGovernor: empty; SetThreshold `(uint256 threshold)`;
    /// SetSystemContract `(bool enabled)`; Call: the calldata to send to `target` (at least a selector), as
    /// TimelockController's `execute` does: the governors approve the exact call that will be made.
    enum ProposalKind {
        Admit,
        GrantRole,
        RevokeRole,
        Suspend,
        Reinstate,
        UpdateProfile,
        AddGovernor,
        RemoveGovernor,
        SetThreshold,
        SetSystemContract,
        Call
    }

    /// @notice A member institution as stored on chain.
    struct Member {
        bytes32 nameDigest;
        uint256 roles;
        uint32 region;
        uint64 licenceExpiry;
        uint8 kycTier;
        bool suspended;
        uint64 admittedAt;
    }

    /// @notice A governance proposal.
    struct Proposal {
        ProposalKind kind;
        address target;
        address proposer;
        uint64 deadline;
        bool executed;
        bytes data;
    }

    // --- errors ---
    /// @notice The caller is not a governor.
    /// @param account The caller.
    error ConsortiumNotGovernor(address account);
    /// @notice The proposal does not exist.
    /// @param proposalId The unknown id.
    error ConsortiumUnknownProposal(ProposalId proposalId);
    /// @notice The proposal passed its deadline.
    /// @param proposalId The proposal.
    /// @param deadline Its deadline (block time).
    error ConsortiumProposalExpired(ProposalId proposalId, uint64 deadline);
    /// @notice The proposal has already been executed.
    /// @param proposalId The proposal.
    error ConsortiumProposalAlreadyExecuted(ProposalId proposalId);
    /// @notice This governor has already approved the proposal.
    /// @param proposalId The proposal.
    /// @param governor The governor.
    error ConsortiumAlreadyApproved(ProposalId proposalId, address governor);
    /// @notice Too few current governors approved the proposal.
    /// @param proposalId The proposal.
    /// @param approvals Approvals by current governors.
    /// @param threshold Approvals needed.
    error ConsortiumInsufficientApprovals(ProposalId proposalId, uint256 approvals, uint256 threshold);
    /// @notice The account is already a member.
    /// @param account The account.
    error ConsortiumAlreadyMember(address account);
    /// @notice The account is not a member.
    /// @param account The account.
    error ConsortiumNotMember(address account);
    /// @notice The role identifier is not one of the consortium roles.
    /// @param role The role.
    error ConsortiumUnknownRole(bytes32 role);
    /// @notice The member already has the role (grant) or lacks it (revoke).
    /// @param account The member.
    /// @param role The role.
    /// @param held Whether the member holds the role now.
    error ConsortiumRoleUnchanged(address account, bytes32 role, bool held);
    /// @notice The member is already suspended (suspend) or not suspended (reinstate).
    /// @param account The member.
    /// @param suspended Its current suspension flag.
    error ConsortiumSuspensionUnchanged(address account, bool suspended);
    /// @notice A member must hold at least one role.
    /// @param account The member.
    error ConsortiumNoRoles(address account);
    /// @notice The account is already a governor (add) or is not one (remove).
    /// @param account The account.
    /// @param isGovernor Whether it is a governor now.
    error ConsortiumGovernorUnchanged(address account, bool isGovernor);
    /// @notice The threshold must satisfy 1 <= threshold <= number of governors.
    /// @param threshold The requested threshold.
    /// @param governors The number of governors it would apply to.
    error ConsortiumInvalidThreshold(uint256 threshold, uint256 governors);
    /// @notice The zero address cannot be a member, governor or system contract.
    error ConsortiumZeroAddress();
    /// @notice A system contract must have code, and its flag must change.
    /// @param account The account.
    /// @param enabled The requested flag.
    error ConsortiumInvalidSystemContract(address account, bool enabled);
    /// @notice The proposal lifetime must be positive and at most MAX_PROPOSAL_LIFETIME.
    error ConsortiumInvalidLifetime();
    /// @notice A `Call` proposal must name a contract other than the consortium and carry at least a selector.
    /// @param target The account the call would go to.
    /// @param data The calldata.
    error ConsortiumInvalidCall(address target, bytes data);
    /// @notice Only a system contract may enrol the contracts it deploys.
    /// @param caller The caller.
    error ConsortiumUnauthorizedEnrolment(address caller);

    // --- events ---
    /// @notice A proposal was created (the proposer's approval is recorded with it).
    /// @param proposalId The new proposal.
    /// @param kind What it does.
    /// @param target The member, governor or contract it concerns.
    /// @param proposer The governor who proposed it.
    /// @param deadline Block time after which it can no longer be approved or executed.
    /// @param data The ABI-encoded payload.
    event ProposalCreated(
        ProposalId indexed proposalId,
        ProposalKind kind,
        address indexed target,
        address indexed proposer,
        uint64 deadline,
        bytes data
    );
    /// @notice A governor approved a proposal.
    /// @param proposalId The proposal.
    /// @param governor The approving governor.
    /// @param approvals Approvals by current governors after this one.
    event ProposalApproved(ProposalId indexed proposalId, address indexed governor, uint256 approvals);
    /// @notice A proposal was executed.
    /// @param proposalId The proposal.
    /// @param kind What it did.
    /// @param target What it concerned.
    /// @param executor Who executed it.
    event ProposalExecuted(
        ProposalId indexed proposalId, ProposalKind kind, address indexed target, address indexed executor
    );
    /// @notice An approved `Call` proposal called its target, which returned normally (a target that reverts
    /// reverts the execution with its own error, and the proposal stays open).
    /// @param proposalId The proposal (its `ProposalExecuted` event comes first, in the same transaction).
    /// @param target The contract called.
    /// @param selector The function called.
    /// @param result The data the call returned.
    event ProposalCallExecuted(
        ProposalId indexed proposalId, address indexed target, bytes4 indexed selector, bytes result
    );
    /// @notice A member institution was admitted.
    /// @param account The member's address.
    /// @param nameDigest Digest of the legal name (the name itself stays off chain).
    /// @param roles Role bitmask (see {roleBit}).
    /// @param region Region code (administrative division).
    /// @param licenceExpiry Licence expiry (block time), 0 for none.
    /// @param kycTier KYC tier.
    event MemberAdmitted(
        address indexed account, bytes32 nameDigest, uint256 roles, uint32 region, uint64 licenceExpiry, uint8 kycTier
    );
    /// @notice A role was granted to a member.
    /// @param account The member.
    /// @param role The role.
    /// @param proposalId The proposal that granted it.
    event MemberRoleGranted(address indexed account, bytes32 indexed role, ProposalId indexed proposalId);
    /// @notice A role was revoked from a member.
    /// @param account The member.
    /// @param role The role.
    /// @param proposalId The proposal that revoked it.
    event MemberRoleRevoked(address indexed account, bytes32 indexed role, ProposalId indexed proposalId);
    /// @notice A member was suspended.
    /// @param account The member.
    /// @param reasonDigest Digest of the reason document.
    /// @param proposalId The proposal.
    event MemberSuspended(address indexed account, bytes32 reasonDigest, ProposalId indexed proposalId);
    /// @notice A member was reinstated.
    /// @param account The member.
    /// @param reasonDigest Digest of the reason document.
    /// @param proposalId The proposal.
    event MemberReinstated(address indexed account, bytes32 reasonDigest, ProposalId indexed proposalId);
    /// @notice A member's region, licence expiry or KYC tier changed.
    /// @param account The member.
    /// @param region New region code.
    /// @param licenceExpiry New licence expiry.
    /// @param kycTier New KYC tier.
    event MemberProfileUpdated(address indexed account, uint32 region, uint64 licenceExpiry, uint8 kycTier);
    /// @notice A governor was added.
    /// @param account The governor.
    event GovernorAdded(address indexed account);
    /// @notice A governor was removed.
    /// @param account The governor.
    event GovernorRemoved(address indexed account);
    /// @notice The approval threshold changed.
    /// @param previous The old threshold.
    /// @param current The new threshold.
    event ThresholdChanged(uint256 previous, uint256 current);
    /// @notice A contract was allowed (or no longer allowed) to hold settlement tokens as escrow.
    /// @param account The contract.
    /// @param enabled Whether it is a system contract now.
    event SystemContractSet(address indexed account, bool enabled);
    /// @notice A system contract enrolled a contract it deployed (e.g. a fractions factory its asset tokens), so
    /// that the new contract may hold settlement tokens. Governors can disable it like any system contract.
    /// @param account The enrolled contract.
    /// @param enrolledBy The system contract that deployed and enrolled it.
    event SystemContractEnrolled(address indexed account, address indexed enrolledBy);

    // --- governance ---
    /// @notice Propose a change; the proposer's approval is counted.
    /// @param kind What the proposal does.
    /// @param target The member, governor or contract concerned.
    /// @param data ABI-encoded payload (see {ProposalKind}).
    /// @return proposalId The new proposal's id.
    function propose(ProposalKind kind, address target, bytes calldata data) external returns (ProposalId proposalId);
    /// @notice Approve a proposal (once per governor, before its deadline).
    /// @param proposalId The proposal.
    function approve(ProposalId proposalId) external;
    /// @notice Execute a proposal that at least `threshold` current governors approved, before its deadline and
    /// once. A `Call` proposal then calls its target with its calldata; if the target reverts, so does this.
    /// @param proposalId The proposal.
    function execute(ProposalId proposalId) external;

    // --- system contracts ---
    /// @notice Enrol `account`, a contract the calling system contract deployed, as a system contract: the
    /// governors approved the caller's code (SetSystemContract), so they approved the contracts it creates.
    /// @dev Reverts with {ConsortiumUnauthorizedEnrolment} unless the caller is a system contract, and with
    /// {ConsortiumInvalidSystemContract} if `account` has no code, is already one, or is a member.
    /// @param account The new contract.
    function enrolSystemContract(address account) external;

    // --- views ---
    /// @notice Whether `account` is an admitted, unsuspended member with an unexpired licence holding `role`.
    /// @param account The account.
    /// @param role The role.
    /// @return Whether it may act in that role now.
    function hasActiveRole(address account, bytes32 role) external view returns (bool);
    /// @notice Whether `account` is an admitted, unsuspended member with an unexpired licence.
    /// @param account The account.
    /// @return Whether it is active.
    function isActiveMember(address account) external view returns (bool);
    /// @notice Whether `account` is a Recourse contract allowed to hold settlement tokens.
    /// @param account The account.
    /// @return Whether it is a system contract.
    function isSystemContract(address account) external view returns (bool);
    /// @notice What a compliance check needs to know of `account` in two storage reads: its role bits (see
    /// {roleBit}), region, KYC tier and whether it is active now. A non-member is inactive with zero fields.
    /// @param account The account.
    /// @return roles Role bit mask.
    /// @return region Region code.
    /// @return kycTier KYC tier.
    /// @return active Whether it is an admitted, unsuspended member with an unexpired licence.
    function eligibility(address account)
        external
        view
        returns (uint256 roles, uint32 region, uint8 kycTier, bool active);
    /// @notice Whether `account` has been admitted (suspended or not).
    /// @param account The account.
    /// @return Whether it is a member.
    function isMember(address account) external view returns (bool);
    /// @notice The stored record of a member.
    /// @param account The member.
    /// @return The record (reverts if not a member).
    function getMember(address account) external view returns (Member memory);
    /// @notice Number of admitted members.
    /// @return The count.
    function memberCount() external view returns (uint256);
    /// @notice The member at `index` in admission order.
    /// @param index Position, below {memberCount}.
    /// @return The member's address.
    function memberAt(uint256 index) external view returns (address);
    /// @notice The bit of `role` in a member's role bitmask (reverts for unknown roles).
    /// @param role The role.
    /// @return The bit.
    function roleBit(bytes32 role) external pure returns (uint256);
    /// @notice The current governors.
    /// @return The governor addresses.
    function governors() external view returns (address[] memory);
    /// @notice Whether `account` is a governor.
    /// @param account The account.
    /// @return Whether it is a governor.
    function isGovernor(address account) external view returns (bool);
    /// @notice Approvals needed to execute a proposal.
    /// @return k.
    function threshold() external view returns (uint256);
    /// @notice Seconds a proposal stays open.
    /// @return The lifetime.
    function proposalLifetime() external view returns (uint64);
    /// @notice Number of proposals created so far.
    /// @return The count (ids are 1..count).
    function proposalCount() external view returns (uint256);
    /// @notice A proposal.
    /// @param proposalId The proposal.
    /// @return The proposal (reverts if unknown).
    function getProposal(ProposalId proposalId) external view returns (Proposal memory);
    /// @notice Approvals of a proposal by current governors (a removed governor's approval stops
    /// counting; if the same address is added back, its earlier approvals count again).
    /// @param proposalId The proposal.
    /// @return The count.
    function approvalCount(ProposalId proposalId) external view returns (uint256);
    /// @notice Whether `governor` approved the proposal.
    /// @param proposalId The proposal.
    /// @param governor The governor.
    /// @return Whether it approved.
    function hasApproved(ProposalId proposalId, address governor) external view returns (bool);
}
