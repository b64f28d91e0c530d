import './base.css';
import './review.css';
import './agent.css';
