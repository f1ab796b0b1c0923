/* The printable membership card's Print button (the CSP allows no inline onclick). */
document.getElementById("print").addEventListener("click", function () { window.print(); });
