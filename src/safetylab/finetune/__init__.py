"""Audit -> dataset variants -> SFT/DPO training (TRL) -> probe -> comparison across variants."""
